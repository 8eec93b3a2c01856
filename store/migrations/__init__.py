"""Alembic's script folder for the store: one linear, reversible history, run by ``promoready.store._migrate``.

There is no ``env.py``: migrations are run in-process on a connection the store opened. A new
revision is a file in ``versions/`` named ``NNNN_what.py`` whose ``down_revision`` is the previous
head; it says what the schema becomes without importing ``promoready.store._schema`` (which follows
the head), and ``downgrade()`` undoes exactly what ``upgrade()`` does. On SQLite, column changes go
through ``op.batch_alter_table`` (SQLite cannot alter most columns in place).
"""
