"""A local HTTP server for the CRM tests: records every request exactly and answers through a
route function, so the connectors' real client code runs against vendor-shaped responses."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def multipart(self) -> dict[str, tuple[str | None, str, bytes]]:
        """{field: (filename, content type, bytes)} of a multipart/form-data body."""
        raw = f"content-type: {self.headers['content-type']}\r\n\r\n".encode() + self.body
        message = BytesParser(policy=HTTP).parsebytes(raw)
        parts = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            parts[name] = (
                part.get_filename(),
                part.get_content_type(),
                part.get_payload(decode=True),
            )
        return parts


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[[Seen], Reply]


class FakeServer:
    """Threaded HTTP server on 127.0.0.1 (a free port). `script` queues one-off replies that are
    used first, in order (errors, rate limits)."""

    def __init__(self, route: Route) -> None:
        self.route = route
        self.requests: list[Seen] = []
        self.script: list[Reply] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                parts = urllib.parse.urlsplit(self.path)
                seen = Seen(
                    self.command,
                    urllib.parse.unquote(parts.path),
                    dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True)),
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                with outer.lock:
                    outer.requests.append(seen)
                    reply = outer.script.pop(0) if outer.script else None
                if reply is None:
                    reply = outer.route(seen)
                body = reply.body
                headers = dict(reply.headers)
                if isinstance(body, (dict, list)):
                    data = json.dumps(body).encode()
                    headers.setdefault("content-type", "application/json")
                elif isinstance(body, str):
                    data = body.encode()
                    headers.setdefault("content-type", "text/plain; charset=utf-8")
                else:
                    data = body or b""
                self.send_response(reply.status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def seen(self, method: str | None = None, path: str | None = None) -> list[Seen]:
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and (path is None or r.path == path)
        ]
