"""The bench's HTTP helpers close what they open, whatever the server answers."""

from __future__ import annotations

import gc
import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from carnet.bench.measure import answers_ready


class _Readyz(BaseHTTPRequestHandler):
    status = 503

    def do_GET(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Length", "9")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(b"not ready")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(params=[503, 200])
def readyz_port(request: pytest.FixtureRequest) -> Iterator[tuple[int, int]]:
    handler = type("Handler", (_Readyz,), {"status": request.param})
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever)
        thread.start()
        try:
            yield server.server_address[1], request.param
        finally:
            server.shutdown()
            thread.join()


def test_a_readiness_probe_leaves_no_socket_open(readyz_port: tuple[int, int]) -> None:
    port, status = readyz_port
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert answers_ready(port) is (status == 200)
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
