"""minifast: a FastAPI-compatible ASGI framework, written to be read."""

from minifast.applications import FastAPI, MiniFast
from minifast.background import BackgroundTasks
from minifast.datastructures import UploadFile
from minifast.exceptions import HTTPException, WebSocketException
from minifast.param_functions import (
    Body,
    Cookie,
    Depends,
    File,
    Form,
    Header,
    Path,
    Query,
    Security,
)
from minifast.requests import Request
from minifast.responses import Response
from minifast.routing import APIRouter
from minifast.websockets import WebSocket, WebSocketDisconnect

__version__ = "0.1.0"

__all__ = [
    "APIRouter",
    "BackgroundTasks",
    "Body",
    "Cookie",
    "Depends",
    "FastAPI",
    "File",
    "Form",
    "HTTPException",
    "Header",
    "MiniFast",
    "Path",
    "Query",
    "Request",
    "Response",
    "Security",
    "UploadFile",
    "WebSocket",
    "WebSocketDisconnect",
    "WebSocketException",
]
