"""The OpenAPI document: `get_openapi()` in utils.py, the docs pages in docs.py."""
