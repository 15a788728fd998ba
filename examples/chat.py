"""A websocket chat: rooms, a nickname from the query string, every message to everyone there.

Run: `uvicorn examples.chat:app`, then connect to ws://127.0.0.1:8000/rooms/lobby?nick=ann.
The room registry is a dependency, so a test can swap it through `dependency_overrides`.
"""

from collections import defaultdict
from typing import Annotated, Any

from minifast import Depends, FastAPI, Query, WebSocket


class Rooms:
    """Who is connected to which room, in this process."""

    def __init__(self) -> None:
        self.members: defaultdict[str, dict[str, WebSocket]] = defaultdict(dict)

    async def broadcast(self, room: str, message: dict[str, Any]) -> None:
        for websocket in list(self.members[room].values()):
            await websocket.send_json(message)


ROOMS = Rooms()


def get_rooms() -> Rooms:
    return ROOMS


app = FastAPI(title="Chat")


@app.websocket("/rooms/{room}")
async def chat(
    websocket: WebSocket,
    room: str,
    nick: Annotated[str, Query(min_length=1, max_length=20, pattern=r"^\w+$")],
    rooms: Annotated[Rooms, Depends(get_rooms)],
) -> None:
    if nick in rooms.members[room]:
        await websocket.close(code=4009, reason="nickname taken")
        return
    await websocket.accept()
    rooms.members[room][nick] = websocket
    await rooms.broadcast(room, {"event": "joined", "nick": nick})
    try:
        async for text in websocket.iter_text():  # ends when the client disconnects
            await rooms.broadcast(room, {"event": "said", "nick": nick, "text": text})
    finally:
        del rooms.members[room][nick]
    await rooms.broadcast(room, {"event": "left", "nick": nick})


@app.get("/rooms/{room}")
def who(room: str, rooms: Annotated[Rooms, Depends(get_rooms)]) -> dict[str, list[str]]:
    """Who is in a room now."""
    return {"members": sorted(rooms.members[room])}
