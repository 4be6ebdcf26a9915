"""A real uvicorn server on a free local port, for the headless-Chromium tests of the app."""

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from digitfusion.app.server import create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(model_dir: Path) -> Iterator[str]:
    """Serve the app for `model_dir` until the generator is closed; yields its base URL (a fixture's body)."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(model_dir), host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
