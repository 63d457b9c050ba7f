"""Run the live site in-process for tests: a uvicorn server in a thread, a movable clock."""

from __future__ import annotations

import datetime as dt
import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, NamedTuple

from tests.support.asgi import serve
from tests.support.smtp_server import free_port

__all__ = ["Answer", "MovableClock", "free_port", "get", "raw_get", "serve"]


@dataclass
class MovableClock:
    """The test's clock: the app reads it at each request, the test moves it."""

    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, text: str) -> None:
        self.now = dt.datetime.fromisoformat(text)


def raw_get(base: str, target: str) -> tuple[int, dict[str, str], bytes]:
    """GET with the request target sent exactly as given (no client normalisation)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
                  .encode("latin-1"))
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    return int(lines[0].split(" ", 2)[1]), headers, body


class Answer(NamedTuple):
    """A response of the live site: its status and body (unpacks as `status, text`)."""

    status: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


def get(base: str, path: str, host: str | None = None) -> Answer:
    """GET `path` of the live site (as the site named `host`, when given); an error
    status is an answer, not an exception."""
    request = urllib.request.Request(base + path, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return Answer(r.status, r.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.read().decode("utf-8"))
