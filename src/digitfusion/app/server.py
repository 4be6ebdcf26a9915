"""FastAPI server for the web app. Binds 127.0.0.1 by default; request bodies are capped; uploads are
decoded from memory (no path sent by a client is ever opened); one onnxruntime session serves every
request (its `run` is thread-safe)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.datastructures import UploadFile

from digitfusion.app.enrol import add_enrol_routes, profile_from_form
from digitfusion.errors import DigitfusionError
from digitfusion.export.runtime import ExportedRunner
from digitfusion.inputs import Upload
from digitfusion.predict import predict_files

MAX_REQUEST_BYTES = 8 * 1024 * 1024
PAGE = Path(__file__).with_name("index.html")


class BodyLimit:
    """ASGI middleware: refuse (413) a request whose body exceeds `limit`, declared or streamed."""

    def __init__(self, app, limit: int = MAX_REQUEST_BYTES):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await too_large(scope, receive, send, self.limit)
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except BodyTooLarge:
            await too_large(scope, receive, send, self.limit)


class BodyTooLarge(Exception):
    pass


async def too_large(scope, receive, send, limit: int) -> None:
    response = JSONResponse({"error": f"request body over the {limit // (1024 * 1024)} MB limit"}, status_code=413)
    await response(scope, receive, send)


def create_app(model_dir: str | Path | None = None, provider: str = "auto") -> FastAPI:
    """The app over a model folder (None: the model shipped in the package)."""
    runner = ExportedRunner(model_dir, provider=provider)
    app = FastAPI(title="digitfusion", docs_url=None, redoc_url=None)

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return PAGE.read_text(encoding="utf-8")

    @app.post("/api/predict")
    async def predict(request: Request) -> JSONResponse:
        try:
            form = await request.form(max_files=2, max_fields=4)
            profile = profile_from_form(form.get("profile"), runner)
            image = await read_upload(form.get("image"), "image")
            audio = await read_upload(form.get("audio"), "audio")
            # the same input pipeline as the CLI: the same refusals, with the same words
            return JSONResponse(predict_files(runner, image, audio, profile))
        except DigitfusionError as err:
            return JSONResponse({"error": str(err)}, status_code=400)

    add_enrol_routes(app, runner, read_upload)

    app.add_middleware(BodyLimit)
    return app


async def read_upload(field, kind: str) -> Upload | None:
    """An uploaded file (client-side name, bytes). A plain form value (e.g. a path typed by a client)
    is refused: the server never opens a path it is sent."""
    if field is None or field == "":
        return None
    if not isinstance(field, UploadFile):
        raise DigitfusionError(kind, "must be an uploaded file, not a text value")
    data = await field.read()
    if not data and not field.filename:  # an empty file field: nothing chosen
        return None
    return Upload(Path(field.filename or kind).name, data)  # an empty named file is refused like an empty path


def serve(model_dir: str | Path | None, host: str = "127.0.0.1", port: int = 8000, provider: str = "auto") -> None:
    import uvicorn

    uvicorn.run(create_app(model_dir, provider), host=host, port=port, log_level="warning")
