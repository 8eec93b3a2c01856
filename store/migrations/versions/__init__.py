"""The store's migration scripts (Alembic revisions), oldest first by file name."""
