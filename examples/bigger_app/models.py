"""Models shared by the routers."""

from pydantic import BaseModel


class UserCreate(BaseModel):
    username: str
    password: str


class UserResponse(BaseModel):
    id: int
    username: str


class Item(BaseModel):
    id: int
    name: str


class Order(BaseModel):
    id: int
    item_id: int
    quantity: int
