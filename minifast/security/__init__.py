"""Security schemes and the scopes they require."""

from minifast.security.oauth2 import SecurityScopes

__all__ = ["SecurityScopes"]
