"""A real SMTP server (aiosmtpd) on 127.0.0.1 with STARTTLS or implicit TLS and AUTH."""

from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.tls import self_signed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class _Handler:
    messages: list[Received] = field(default_factory=list)
    peers: set[object] = field(default_factory=set)  # (host, port): one per connection
    refuse: dict[str, tuple[int, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        with self.lock:
            self.peers.add(tuple(session.peer))
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address.lower() in self.refuse:
            code, text = self.refuse[address.lower()]
            return f"{code} {text}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


class SmtpServer:
    """`with SmtpServer(tmp_path) as smtp: smtp.url` -> smtp://user:password@127.0.0.1:PORT."""

    def __init__(self, folder: Path, *, implicit_tls: bool = False, user: str = "policybook",
                 password: str = "s3cret pass") -> None:
        self.cert, self.key = self_signed(folder)
        self.user, self.password = user, password
        self.implicit_tls = implicit_tls
        self.port = free_port()
        self.handler = _Handler()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        kwargs: dict[str, Any] = {"authenticator": self._authenticate,
                                  "auth_require_tls": True}
        if implicit_tls:
            # The whole connection is TLS; aiosmtpd only knows about STARTTLS, so it must
            # be told that AUTH is fine here.
            kwargs.update(ssl_context=context, auth_require_tls=False)
        else:
            kwargs.update(tls_context=context, require_starttls=True)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     **kwargs)
        self.logins = 0

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and \
                auth_data.login.decode() == self.user and \
                auth_data.password.decode() == self.password:
            self.logins += 1
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def url(self, user: str | None = None, password: str | None = None) -> str:
        from urllib.parse import quote

        scheme = "smtps" if self.implicit_tls else "smtp"
        u = quote(user or self.user, safe="")
        p = quote(password or self.password, safe="")
        return f"{scheme}://{u}:{p}@127.0.0.1:{self.port}?cafile={quote(str(self.cert))}"

    def refuse(self, address: str, code: int = 550, text: str = "5.1.1 No such user") -> None:
        self.handler.refuse[address.lower()] = (code, text)

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    @property
    def connections(self) -> int:
        return len(self.handler.peers)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
