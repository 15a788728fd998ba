"""Parts 5-7 of the lesson on a real database: SQLite through the thread pool.

- `get_database` is lifespan-scoped: one Database per app, built at start-up, closed at
  shutdown, shared by every request (and replaceable in tests with dependency_overrides).
- `get_db` is the lesson's session dependency: commit when the endpoint succeeds, roll back
  when it raises. It is a sync generator, so minifast steps it in the thread pool.
- The response model strips `password_hash`; a background task writes an audit row.

stdlib sqlite3 rather than SQLAlchemy: no extra dependency, and the thread pool hop that keeps
blocking calls off the event loop is visible instead of hidden inside an async driver.
"""

import hashlib
import os
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr

from minifast import BackgroundTasks, Depends, FastAPI, HTTPException, status

# A named in-memory database shared by every connection while one stays open.
DATABASE_URL = os.environ.get("USERS_DB_URL", "file:minifast-users?mode=memory&cache=shared")
SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY, username TEXT UNIQUE NOT NULL, email TEXT NOT NULL,
    password_hash TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_log (id INTEGER PRIMARY KEY, action TEXT, user_id INTEGER);
"""


class Database:
    """Where connections come from; holds one open so a memory database outlives requests."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._keeper = self.connect()
        self._keeper.executescript(SCHEMA)

    def connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.url, uri=True, check_same_thread=False)
        connection.row_factory = sqlite3.Row
        return connection

    def close(self) -> None:
        self._keeper.close()


def get_database() -> Iterator[Database]:
    database = Database(DATABASE_URL)
    try:
        yield database
    finally:  # closed even when start-up or shutdown fails after the yield
        database.close()


def get_db(
    database: Annotated[Database, Depends(get_database, scope="lifespan")],
) -> Iterator[sqlite3.Connection]:
    connection = database.connect()
    try:
        yield connection  # handler runs HERE with an open session
        connection.commit()  # commit if handler completed without exception
    except Exception:
        connection.rollback()
        raise
    finally:
        connection.close()


# scope="function": commit before the response is sent, so the client never sees a 201 for a
# row that a failed commit lost, and background tasks see committed data.
Session = Annotated[sqlite3.Connection, Depends(get_db, scope="function")]


class UserCreate(BaseModel):
    username: str
    email: EmailStr
    password: str


class UserResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    email: EmailStr
    created_at: datetime


class UserInDB(UserResponse):
    password_hash: str


app = FastAPI(title="Users")


def write_audit_log(database: Database, action: str, user_id: int) -> None:
    with database.connect() as connection:
        connection.execute(
            "INSERT INTO audit_log (action, user_id) VALUES (?, ?)", (action, user_id)
        )
    connection.close()


@app.post("/users", response_model=UserResponse, status_code=status.HTTP_201_CREATED)
def create_user(
    user: UserCreate,
    db: Session,
    database: Annotated[Database, Depends(get_database, scope="lifespan")],
    background_tasks: BackgroundTasks,
) -> UserInDB:
    password_hash = hashlib.sha256(user.password.encode()).hexdigest()
    created_at = datetime.now(timezone.utc).replace(microsecond=0)
    try:
        cursor = db.execute(
            "INSERT INTO users (username, email, password_hash, created_at) VALUES (?, ?, ?, ?)",
            (user.username, user.email, password_hash, created_at.isoformat()),
        )
    except sqlite3.IntegrityError:
        raise HTTPException(status.HTTP_409_CONFLICT, "Username already taken") from None
    user_id = int(cursor.lastrowid or 0)
    if user.username.startswith("fail-"):
        # Stands for any error after a write: the dependency rolls the insert back.
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Refused after insert")
    background_tasks.add_task(write_audit_log, database, "user_registered", user_id)
    return UserInDB(id=user_id, password_hash=password_hash, created_at=created_at,
                    username=user.username, email=user.email)  # fmt: skip


@app.get("/users/{user_id}", response_model=UserResponse)
def get_user(user_id: int, db: Session) -> dict[str, object]:
    row: sqlite3.Row | None = db.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "User not found")
    return dict(row)  # password_hash included: the response model drops it


@app.get("/users")
def list_usernames(db: Session) -> list[str]:
    return [row["username"] for row in db.execute("SELECT username FROM users ORDER BY id")]


@app.get("/audit")
def audit_log(db: Session) -> list[dict[str, object]]:
    rows = db.execute("SELECT action, user_id FROM audit_log ORDER BY id")
    return [dict(row) for row in rows]
