"""``ganzoo zoo serve``: a small static file server for the zoo site, safe to leave running on a laptop.

It serves one folder and nothing outside it: a path with a ``..`` segment (encoded or not), a backslash or a NUL
is refused, and a file that resolves (through symlinks) outside the folder is answered 404 like a missing one.
Every answer carries the headers that multithreaded WebAssembly needs (cross-origin isolation: COOP and COEP) and
the pages' content security policy. GET and HEAD only; no directory listings.
"""

from __future__ import annotations

import errno
import os
import shutil
import sys
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ganzoo.errors import UserError
from ganzoo.web.site import CONTENT_SECURITY_POLICY

TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".mjs": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".json": "application/json", ".png": "image/png", ".wasm": "application/wasm",
         ".onnx": "application/octet-stream", ".svg": "image/svg+xml"}
HEADERS = {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp",
           "Cross-Origin-Resource-Policy": "same-origin", "Content-Security-Policy":
           CONTENT_SECURITY_POLICY + "; frame-ancestors 'none'", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}


def resolve(root: Path, target: str) -> Path | None:
    """The file that a request target names inside ``root`` (a folder's index.html for a folder), or None."""
    path = unquote(urlsplit(target).path, errors="strict") if target.startswith("/") else None
    if path is None or "\\" in path or "\x00" in path:
        return None
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts:
        return None
    candidate = Path(os.path.realpath(root.joinpath(*parts)))
    if candidate != root and root not in candidate.parents:
        return None  # a symlink that leads out of the site
    if candidate.is_dir():
        candidate = candidate / "index.html"
        if candidate.is_symlink() and root not in Path(os.path.realpath(candidate)).parents:
            return None
    return candidate if candidate.is_file() else None


class SiteHandler(BaseHTTPRequestHandler):
    root: Path  # set on the subclass that serve() makes
    server_version = "ganzoo-zoo"
    sys_version = ""

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        try:
            file = resolve(self.root, self.path)
        except UnicodeDecodeError:
            file = None
        if file is None:
            return self._refuse(HTTPStatus.NOT_FOUND, "not found")
        path = urlsplit(self.path).path
        if file.name == "index.html" and not path.endswith(("/", "index.html")):
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)  # so that the page's relative links work
            self.send_header("Location", path + "/")
            self._common_headers(0)
            return self.end_headers()
        with open(file, "rb") as body:
            size = os.fstat(body.fileno()).st_size
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", TYPES.get(file.suffix.lower(), "application/octet-stream"))
            self._common_headers(size)
            self.end_headers()
            if send_body:
                shutil.copyfileobj(body, self.wfile)

    def _refuse(self, status: HTTPStatus, text: str) -> None:
        body = f"{status.value} {text}\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self._common_headers(len(body))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _common_headers(self, length: int) -> None:
        self.send_header("Content-Length", str(length))
        for name, value in HEADERS.items():
            self.send_header(name, value)

    def send_error(self, code, message=None, explain=None) -> None:  # malformed requests, unknown methods
        self.close_connection = True
        self._refuse(HTTPStatus(code) if code != 501 else HTTPStatus.METHOD_NOT_ALLOWED,
                     "method not allowed" if code == 501 else (message or HTTPStatus(code).phrase))

    def log_message(self, format: str, *args) -> None:
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


def make_server(folder: Path, host: str, port: int) -> ThreadingHTTPServer:
    """A server for ``folder`` bound to ``host:port``; UserError (one line) when the port is taken."""
    handler = type("Handler", (SiteHandler,), {"root": Path(os.path.realpath(folder))})
    try:
        return ThreadingHTTPServer((host, port), handler)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise UserError(f"port {port} is in use on {host}: stop what uses it, or choose another with --port")
        raise UserError(f"cannot serve on {host}:{port}: {error.strerror or error}") from None


def serve(server: ThreadingHTTPServer) -> None:
    """Serve until Ctrl-C, then close the socket."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()



def serve_in_thread(folder: Path) -> tuple[str, Callable[[], None]]:
    """Serve ``folder`` on a free local port from a background thread (tests, benchmarks): (its base URL, a
    function that stops it)."""
    server = make_server(folder, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
    return f"http://127.0.0.1:{server.server_address[1]}", stop
