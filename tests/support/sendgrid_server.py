"""A SendGrid-compatible Mail Send API on 127.0.0.1 for tests and benchmarks.

It validates *every* request body against SendGrid's published OpenAPI description
(`shared/sendgrid/tsg_mail_v3.json`, found above the repository or named by
POLICYBOOK_SENDGRID_SPEC) with jsonschema, checks the bearer key, and enforces the rules
the schema does not carry: each address at most once per request, custom_args values as
strings. It answers like SendGrid (202 with X-Message-Id; errors as
`{"errors": [{"message", "field"}]}`) and records what it accepted.

It can be told to misbehave: answer 429 (with Retry-After) or 500 the next N times,
hang without answering, refuse one address with a 400 naming its personalization,
redirect elsewhere (as a moved API or a hostile proxy would), or answer with anything
else (a 200 HTML page, a 204, a 202 with a body or without its X-Message-Id). Every
request it receives, whatever its method and path, is listed in `seen` (method, path,
whether it carried an Authorization header), so a test can tell where a key went.

In-process: `with SendGridServer(key) as server: ...` (methods below). In another
process (the benchmark): `python -m tests.support.sendgrid_server --key K`, which prints
`READY <url>`, and the same controls over HTTP under `/_test/`.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import best_match

BODY_SCHEMA = "#/components/requestBodies/PostMailSend/content/application~1json/schema"


VENDORED = Path(__file__).resolve().parent / "sendgrid" / "tsg_mail_v3.json"


def find_spec() -> Path | None:
    """The Mail Send spec: $POLICYBOOK_SENDGRID_SPEC, else the copy kept with the tests."""
    if os.environ.get("POLICYBOOK_SENDGRID_SPEC"):
        return Path(os.environ["POLICYBOOK_SENDGRID_SPEC"])
    return VENDORED if VENDORED.is_file() else None


def _inline(node: Any, root: Any, seen: tuple[str, ...] = ()) -> Any:
    """The schema with every local $ref replaced by its target (the Mail Send schema has
    no recursion): the same constraints, checked about a fifth faster than through
    reference resolution, which keeps this server from being the benchmark's bottleneck."""
    if isinstance(node, dict):
        if "$ref" in node:
            ref = str(node["$ref"])
            if not ref.startswith("#/") or ref in seen:
                raise ValueError(f"cannot inline $ref {ref}")
            target = root
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            resolved = _inline(target, root, (*seen, ref))
            rest = {k: _inline(v, root, seen) for k, v in node.items() if k != "$ref"}
            return {"allOf": [resolved, rest]} if rest else resolved
        return {k: _inline(v, root, seen) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, root, seen) for v in node]
    return node


def make_validator(spec_path: Path) -> Draft202012Validator:
    """jsonschema's validator for the Mail Send request body of the OpenAPI document
    (OpenAPI 3.1 schemas are JSON Schema 2020-12)."""
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    body = spec
    for part in BODY_SCHEMA[2:].split("/"):
        body = body[part.replace("~1", "/")]
    schema = _inline(body, spec)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def _errors(message: str, field_name: str | None = None) -> bytes:
    return json.dumps({"errors": [{"message": message, "field": field_name,
                                   "help": None}]}).encode()


@dataclass
class _Fault:
    status: int
    times: int
    retry_after: str | None = None
    seconds: float = 0.0  # for hangs
    after: int = 0  # requests to let through first
    location: str | None = None  # for redirects
    body: bytes = b""  # for odd answers
    content_type: str | None = None
    message_id: bool = False
    message: str = "simulated failure"


@dataclass
class Stats:
    requests: int = 0  # every request received
    accepted_requests: int = 0
    accepted: int = 0  # personalizations accepted, duplicates included
    by_status: Counter[int] = field(default_factory=Counter)
    deliveries: Counter[tuple[str, str]] = field(default_factory=Counter)  # (notice, delivery)
    accounts: Counter[tuple[str, str]] = field(default_factory=Counter)  # (notice, account)
    max_personalizations: int = 0

    def summary(self) -> dict[str, Any]:
        repeats = sum(c - 1 for c in self.deliveries.values() if c > 1)
        return {"requests": self.requests, "accepted_requests": self.accepted_requests,
                "accepted": self.accepted, "unique": len(self.deliveries),
                "duplicates": repeats, "by_status": {str(k): v for k, v in self.by_status.items()},
                "max_personalizations": self.max_personalizations}


class SendGridServer:
    def __init__(self, api_key: str = "SG.test-key", spec: Path | None = None,
                 host: str = "127.0.0.1", port: int = 0, keep_bodies: int = 50) -> None:
        spec = spec or find_spec()
        if spec is None or not spec.is_file():
            raise FileNotFoundError(f"the SendGrid Mail Send spec ({VENDORED}) is missing; "
                                    "set POLICYBOOK_SENDGRID_SPEC")
        self.api_key = api_key
        self.validator = make_validator(spec)
        # The same schema, compiled (it uses only draft-07 keywords; see make_validator).
        self.fast_check = fastjsonschema.compile(self.validator.schema)
        self.stats = Stats()
        self.bodies: list[dict[str, Any]] = []  # the last accepted request bodies
        self.keep_bodies = keep_bodies
        self.refused: list[tuple[int, str]] = []  # (status, message) of refusals
        self._faults: list[_Fault] = []
        self._bad_addresses: set[str] = set()
        self.delay = 0.0  # seconds to think before accepting (to make runs overlap)
        self.seen: list[tuple[str, str, bool]] = []  # (method, path, had Authorization)
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), self._handler())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> SendGridServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        daemon=True, name="sendgrid-test-server")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> SendGridServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -------------------------------------------------------------- controls

    def fail(self, status: int, times: int = 1, retry_after: str | None = None,
             after: int = 0, message: str = "simulated failure") -> None:
        """Answer `status` (429, 500, 503...) to `times` requests, after `after` good ones,
        with `message` as SendGrid's error text."""
        with self._lock:
            self._faults.append(_Fault(status, times, retry_after, after=after,
                                       message=message))

    def fail_message(self, message: str) -> None:
        """Refuse the next request with a 400 whose message is `message` and that names
        no field (SendGrid names a bad address in the text, at times)."""
        self.fail(400, message=message)

    def redirect(self, location: str, status: int = 302, times: int = 1) -> None:
        """Answer the next `times` requests with a redirect to `location`."""
        with self._lock:
            self._faults.append(_Fault(status, times, location=location))

    def answer(self, status: int, body: bytes = b"", content_type: str | None = None,
               message_id: bool = False, times: int = 1) -> None:
        """Answer the next `times` requests with exactly this (an odd 2xx, say), accepting
        nothing."""
        with self._lock:
            self._faults.append(_Fault(status, times, body=body, content_type=content_type,
                                       message_id=message_id))

    def hang(self, times: int = 1, seconds: float = 5.0) -> None:
        """Accept the next `times` connections and never answer them (for `seconds`)."""
        with self._lock:
            self._faults.append(_Fault(0, times, seconds=seconds))

    def reject_address(self, address: str) -> None:
        """Refuse any request naming `address`, with a 400 naming its personalization."""
        with self._lock:
            self._bad_addresses.add(address.lower())

    def reset(self) -> None:
        with self._lock:
            self.stats = Stats()
            self.bodies.clear()
            self.refused.clear()
            self._faults.clear()
            self._bad_addresses.clear()
            self.seen.clear()

    def control(self, command: str, args: dict[str, Any]) -> dict[str, Any]:
        """The controls by name (what `/_test/<command>` calls in another process)."""
        if command == "fail":
            self.fail(int(args["status"]), int(args.get("times", 1)), args.get("retry_after"),
                      int(args.get("after", 0)))
        elif command == "hang":
            self.hang(int(args.get("times", 1)), float(args.get("seconds", 5.0)))
        elif command == "reject_address":
            self.reject_address(str(args["address"]))
        elif command == "delay":
            self.delay = float(args["seconds"])
        elif command == "reset":
            self.reset()
        elif command != "stats":
            raise KeyError(command)
        with self._lock:
            return self.stats.summary()

    # -------------------------------------------------------------- the API

    def _next_fault(self) -> _Fault | None:
        with self._lock:
            if not self._faults:
                return None
            fault = self._faults[0]
            if fault.after > 0:
                fault.after -= 1
                return None
            fault.times -= 1
            if fault.times <= 0:
                self._faults.pop(0)
            return fault

    def handle_send(self, headers: Any, raw: bytes) -> tuple[int, dict[str, str], bytes]:
        """One POST /v3/mail/send: (status, headers, body)."""
        with self._lock:
            self.stats.requests += 1
        if headers.get("Authorization") != f"Bearer {self.api_key}":
            return self._refuse(401, "The provided authorization grant is invalid, expired, "
                                     "or revoked", None)
        fault = self._next_fault()
        if fault is not None and fault.status == 0:
            time.sleep(fault.seconds)
            return (-1, {}, b"")  # hang up without an answer
        if fault is not None and fault.location is not None:
            with self._lock:
                self.stats.by_status[fault.status] += 1
            return fault.status, {"Location": fault.location}, b""
        if fault is not None and (200 <= fault.status < 300 or fault.body):
            with self._lock:
                self.stats.by_status[fault.status] += 1
            odd = {"Content-Type": fault.content_type} if fault.content_type else {}
            if fault.message_id:
                odd["X-Message-Id"] = secrets.token_urlsafe(16)
            return fault.status, odd, fault.body
        if fault is not None:
            extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            status, headers_out, body = self._refuse(fault.status, fault.message, None)
            return status, {**headers_out, **extra}, body
        if "application/json" not in (headers.get("Content-Type") or ""):
            return self._refuse(415, "Content-Type must be application/json", None)
        try:
            data = json.loads(raw)
        except ValueError:
            return self._refuse(400, "Bad Request: the body is not JSON", None)
        # The compiled check is fast (it keeps this server from being what a benchmark
        # measures); a body it refuses is explained by jsonschema's best error.
        try:
            self.fast_check(data)
            error = None
        except fastjsonschema.JsonSchemaException:
            error = best_match(self.validator.iter_errors(data))
            if error is None:
                return self._refuse(400, "the body does not match the Mail Send schema", None)
        if error is not None:
            path = ".".join(str(p) for p in error.absolute_path) or None
            return self._refuse(400, error.message, path)
        personalizations = data["personalizations"]
        seen: dict[str, int] = {}
        for index, p in enumerate(personalizations):
            for kind in ("to", "cc", "bcc"):
                for n, recipient in enumerate(p.get(kind, [])):
                    address = str(recipient["email"]).lower()
                    if address in self._bad_addresses:
                        return self._refuse(400, "Does not contain a valid address.",
                                            f"personalizations.{index}.{kind}.{n}.email")
                    if address in seen:
                        first = f"personalizations.{seen[address]}"
                        return self._refuse(400, "Each email address should be unique within "
                                            f"a request (first seen in {first}).",
                                            f"personalizations.{index}.{kind}")
                    seen[address] = index
            for key, value in (p.get("custom_args") or {}).items():
                if not isinstance(value, str):
                    return self._refuse(400, f"custom_args values must be strings ({key})",
                                        f"personalizations.{index}.custom_args")
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            s = self.stats
            s.accepted_requests += 1
            s.accepted += len(personalizations)
            s.by_status[202] += 1
            s.max_personalizations = max(s.max_personalizations, len(personalizations))
            for p in personalizations:
                args = p.get("custom_args") or {}
                notice = str(args.get("pb_notice"))
                s.deliveries[(notice, str(args.get("pb_delivery")))] += 1
                s.accounts[(notice, str(args.get("pb_account")))] += 1
            if self.keep_bodies:
                self.bodies.append(data)
                del self.bodies[:-self.keep_bodies]
        return 202, {"X-Message-Id": secrets.token_urlsafe(16)}, b""

    def _refuse(self, status: int, message: str, field_name: str | None
                ) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.stats.by_status[status] += 1
            self.refused.append((status, message))
        return status, {"Content-Type": "application/json"}, _errors(message, field_name)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: request lines would carry nothing useful

            def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            def _note(self) -> None:
                with server._lock:
                    server.seen.append((self.command, self.path,
                                        "Authorization" in self.headers))

            def do_GET(self) -> None:
                # What a redirect target sees: SendGrid's API has no GET of Mail Send,
                # but a hostile server would answer 200 to anything.
                self._note()
                self._reply(200, {"Content-Type": "text/html"}, b"<html>hello</html>")

            def do_POST(self) -> None:
                self._note()
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path.startswith("/_test/"):
                    try:
                        args = json.loads(raw or b"{}")
                        result = server.control(self.path[len("/_test/"):], args)
                    except (KeyError, ValueError) as exc:
                        self._reply(400, {}, str(exc).encode())
                        return
                    self._reply(200, {"Content-Type": "application/json"},
                                json.dumps(result).encode())
                    return
                if self.path.rstrip("/") != "/v3/mail/send":
                    self._reply(404, {"Content-Type": "application/json"},
                                _errors(f"no route {self.path}"))
                    return
                status, headers, body = server.handle_send(self.headers, raw)
                if status < 0:
                    self.close_connection = True
                    return
                self._reply(status, headers, body)

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="SendGrid-compatible test server")
    parser.add_argument("--key", default="SG.test-key")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--keep-bodies", type=int, default=0)
    args = parser.parse_args()
    server = SendGridServer(args.key, port=args.port, keep_bodies=args.keep_bodies)
    print(f"READY {server.url}", flush=True)
    try:
        server._httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._httpd.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
