"""The users router: every route behind `require_auth`."""

from typing import Any

from examples.bigger_app.dependencies import get_db, require_auth
from examples.bigger_app.models import UserCreate, UserResponse
from minifast import APIRouter, Depends, HTTPException, status

router = APIRouter(
    prefix="/users",
    tags=["users"],
    dependencies=[Depends(require_auth)],  # applies to ALL routes in this router
    responses={401: {"description": "Not authenticated"}},
)


@router.get("/")
async def list_users(db: Any = Depends(get_db)) -> list[UserResponse]:
    return [UserResponse(**user) for user in db.values()]


@router.get("/{user_id}")
async def get_user(user_id: int, db: Any = Depends(get_db)) -> UserResponse:
    if user_id not in db:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "User not found")
    return UserResponse(**db[user_id])


@router.post("/", status_code=status.HTTP_201_CREATED)
async def create_user(user: UserCreate, db: Any = Depends(get_db)) -> UserResponse:
    user_id = len(db) + 1
    db[user_id] = {"id": user_id, "username": user.username}
    return UserResponse(**db[user_id])
