"""Part 7 of the lesson: a response model filters, validates and documents what leaves.

The handler returns a `UserInDB`, password hash included; `response_model=UserResponse` strips
it. The Level 2 fix is here too: an ORM-like object read with `from_attributes`.
"""

from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr

from minifast import FastAPI, HTTPException

app = FastAPI()


class UserCreate(BaseModel):
    username: str
    email: EmailStr
    password: str  # raw password from client


class UserInDB(BaseModel):
    id: int
    username: str
    email: EmailStr
    password_hash: str  # sensitive - NEVER send to client
    created_at: datetime


class UserResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    email: EmailStr
    created_at: datetime


class ItemResponse(BaseModel):
    id: int
    name: str
    description: str | None = None
    internal_notes: str | None = None


class UserRow:
    """Stands for an ORM row: attributes, not a dict."""

    def __init__(self, user: UserInDB) -> None:
        for name, value in user.model_dump().items():
            setattr(self, name, value)


USERS: dict[int, UserInDB] = {}
ITEM: dict[str, Any] = {"id": 1, "name": "widget", "description": None, "internal_notes": "x"}


async def save_user(user_data: UserCreate) -> UserInDB:
    user = UserInDB(
        id=len(USERS) + 1,
        username=user_data.username,
        email=user_data.email,
        password_hash=f"hashed:{len(user_data.password)}",
        created_at=datetime(2024, 1, 1, tzinfo=timezone.utc),
    )
    USERS[user.id] = user
    return user


@app.post(
    "/users",
    response_model=UserResponse,  # enforces output shape
    status_code=201,
    summary="Register a new user",
    description="Creates a user account and returns the public profile.",
    tags=["users"],
)
async def create_user(user_data: UserCreate) -> UserInDB:
    user_in_db = await save_user(user_data)
    return user_in_db  # safe: response_model strips password_hash


@app.get("/users/{user_id}", response_model=UserResponse)
async def get_user(user_id: int) -> UserResponse:
    if user_id not in USERS:
        raise HTTPException(status_code=404, detail="User not found")
    return UserResponse.model_validate(UserRow(USERS[user_id]))


@app.get("/items/{id}/compact", response_model=ItemResponse, response_model_exclude_none=True)
async def item_without_nones(id: int) -> dict[str, Any]:
    return ITEM


@app.get("/items/{id}/summary", response_model=ItemResponse, response_model_include={"id", "name"})
async def item_summary(id: int) -> dict[str, Any]:
    return ITEM


@app.get("/items/{id}", response_model=ItemResponse, response_model_exclude={"internal_notes"})
async def item_public(id: int) -> dict[str, Any]:
    return ITEM
