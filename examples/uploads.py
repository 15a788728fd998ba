"""Forms and file uploads: a form login and an upload endpoint.

Run it with `uvicorn examples.uploads:app`, then e.g.
`curl -F "file=@README.md" -F "description=docs" http://127.0.0.1:8000/uploads`.
"""

from typing import Annotated

from pydantic import BaseModel

from minifast import FastAPI, File, Form, HTTPException, UploadFile, status

# Bodies past 5 MiB are refused with a 413 before they are read (the default is 10 MiB).
app = FastAPI(max_body_size=5 * 1024 * 1024)

USERS = {"ann": "secret"}


class Uploaded(BaseModel):
    filename: str | None
    content_type: str | None
    size: int | None
    description: str


@app.post("/login")
async def login(
    username: Annotated[str, Form()], password: Annotated[str, Form()]
) -> dict[str, str]:
    """An HTML login form posts urlencoded fields."""
    if USERS.get(username) != password:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="Bad credentials")
    return {"access_token": f"token-for-{username}", "token_type": "bearer"}


@app.post("/uploads")
async def upload(file: UploadFile, description: Annotated[str, Form()] = "") -> Uploaded:
    """A multipart upload: the file is spooled (memory, then disk past 1 MiB), not held whole."""
    return Uploaded(
        filename=file.filename,
        content_type=file.content_type,
        size=file.size,
        description=description,
    )


@app.post("/uploads/many")
async def upload_many(files: list[UploadFile]) -> list[Uploaded]:
    return [
        Uploaded(filename=f.filename, content_type=f.content_type, size=f.size, description="")
        for f in files
    ]


@app.post("/checksum", max_body_size=64 * 1024)
async def checksum(data: Annotated[bytes, File()]) -> dict[str, int]:
    """A small file read whole as bytes; this route takes at most 64 KiB."""
    return {"size": len(data), "sum": sum(data) % 65536}
