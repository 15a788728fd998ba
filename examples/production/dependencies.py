"""Level 3's dependency graph: tenant → user → membership → rate limit.

Each dependency returns a typed value the endpoint can use, and leaves the ids the access log
needs on `request.state` (the middleware reads them after the response).
"""

from typing import Annotated

from sqlalchemy import select

from examples.production.config import Settings
from examples.production.database import Session
from examples.production.models import Membership, Tenant, User
from examples.production.passwords import read_token
from examples.production.ratelimit import RateLimiter
from minifast import Depends, Header, HTTPException, Request, status
from minifast.security import OAuth2PasswordBearer

# JWT bearer auth; tokenUrl makes the docs' "Authorize" button sign in through POST /auth/token.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="auth/token")


def get_settings(request: Request) -> Settings:
    settings: Settings = request.state.settings
    return settings


# Layer 1: the tenant named by the header, which must exist and be active
async def get_tenant(
    x_tenant_id: Annotated[str, Header()], session: Session, request: Request
) -> Tenant:
    tenant = await session.get(Tenant, x_tenant_id)
    if tenant is None or not tenant.is_active:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Tenant not found or inactive")
    request.state.tenant_id = tenant.id  # for the access log
    return tenant


# Layer 2: the user whose valid JWT came with the request
async def get_current_user(
    token: Annotated[str, Depends(oauth2_scheme)],
    settings: Annotated[Settings, Depends(get_settings)],
    session: Session,
    request: Request,
) -> User:
    claims = read_token(token, settings.jwt_secret)
    user = await session.get(User, int(claims["sub"])) if claims else None
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Could not validate credentials",
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.user_id = user.id
    return user


# Layer 3: the user must belong to the tenant; the role decides what they may do
async def get_membership(
    tenant: Annotated[Tenant, Depends(get_tenant)],
    user: Annotated[User, Depends(get_current_user)],
    session: Session,
) -> Membership:
    membership = await session.scalar(
        select(Membership).where(Membership.tenant_id == tenant.id, Membership.user_id == user.id)
    )
    if membership is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "User does not belong to this tenant")
    return membership


def require_admin(membership: Annotated[Membership, Depends(get_membership)]) -> Membership:
    if membership.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Admin access required")
    return membership


def get_rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.state.limiter
    return limiter


# Layer 4: rate limiting by tenant, after membership so strangers cannot spend a tenant's quota
async def rate_limit(
    membership: Annotated[Membership, Depends(get_membership)],
    limiter: Annotated[RateLimiter, Depends(get_rate_limiter)],
) -> None:
    allowed, retry_after = await limiter.hit(membership.tenant_id)
    if not allowed:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "Rate limit exceeded",
            headers={"Retry-After": str(retry_after)},
        )


CurrentUser = Annotated[User, Depends(get_current_user)]
CurrentTenant = Annotated[Tenant, Depends(get_tenant)]
CurrentMembership = Annotated[Membership, Depends(get_membership)]
