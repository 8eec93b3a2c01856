"""promoready over HTTP: ``promoready serve`` (FastAPI on uvicorn worker processes).

>>> from promoready.service import create_app, Settings
>>> app = create_app(Settings())            # the bundled ladders, loopback, no tokens

Endpoints, errors and security are described in ``docs/service.md``; the OpenAPI 3.1 document is
served at ``/openapi.json``.
"""

from .app import create_app, create_app_from_env
from ._settings import Settings, hash_token

__all__ = ["create_app", "create_app_from_env", "Settings", "hash_token"]
