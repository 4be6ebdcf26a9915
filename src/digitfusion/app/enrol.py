"""The app's enrolment routes. The server keeps no profile: the page holds it (sessionStorage, or a file the
person downloads) and sends it with each request, and the server checks it against its model every time.

GET  /enrol.js      the panel's script
POST /api/enrol    form audio_0..audio_9 / image_0..image_9 (uploads), name -> the profile JSON
POST /api/profile  form profile (JSON text) -> {"name", "examples"} if it is a valid profile of this model
A profile sent with /api/predict (form field `profile`) adapts that answer.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from digitfusion.enrol.apply import bind
from digitfusion.enrol.build import build_profile, embed_prepared
from digitfusion.enrol.profile import MAX_PROFILE_BYTES, Profile, ProfileError, loads
from digitfusion.errors import DigitfusionError
from digitfusion.export.runtime import ExportedRunner
from digitfusion.features.mel import LogMelParams
from digitfusion.inputs import prepare_audio, prepare_image

SCRIPT = Path(__file__).with_name("enrol.js")


def profile_from_form(value, runner: ExportedRunner) -> Profile | None:
    """The `profile` form field (JSON text) -> a Profile checked against this model; absent -> None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise DigitfusionError("profile", "must be the profile's JSON text, not a file")
    if len(value) > MAX_PROFILE_BYTES:
        raise DigitfusionError("profile", "is too large for a profile")
    try:
        profile = loads(value)
    except ProfileError as err:
        raise DigitfusionError("profile", str(err)) from None
    bind(profile, runner, "profile")
    return profile


def add_enrol_routes(app: FastAPI, runner: ExportedRunner, read_upload) -> None:
    """The enrol panel's routes; its uploads go through the same input pipeline (inputs.py) as predict's."""
    params = LogMelParams(**runner.preprocessing["audio"])

    @app.get("/enrol.js")
    def script() -> Response:
        return Response(SCRIPT.read_text(encoding="utf-8"), media_type="text/javascript")

    @app.post("/api/enrol")
    async def enrol(request: Request) -> JSONResponse:
        try:
            form = await request.form(max_files=20, max_fields=2)
            prepared = {"image": [], "audio": []}
            for digit in range(10):
                image = await read_upload(form.get(f"image_{digit}"), f"image_{digit}")
                audio = await read_upload(form.get(f"audio_{digit}"), f"audio_{digit}")
                if image:
                    prepared["image"].append((prepare_image(image), digit))
                if audio:
                    prepared["audio"].append((prepare_audio(audio, params), digit))
            if not prepared["image"] and not prepared["audio"]:
                raise DigitfusionError("enrolment", "record (or upload) at least one digit")
            name = str(form.get("name") or "me")[:60]
            return JSONResponse(build_profile(runner, embed_prepared(runner, prepared), name).to_dict())
        except DigitfusionError as err:
            return JSONResponse({"error": str(err)}, status_code=400)

    @app.post("/api/profile")
    async def check_profile(request: Request) -> JSONResponse:
        try:
            form = await request.form(max_files=0, max_fields=1)
            profile = profile_from_form(form.get("profile"), runner)
            if profile is None:
                raise DigitfusionError("profile", "missing")
            return JSONResponse(profile.summary())
        except DigitfusionError as err:
            return JSONResponse({"error": str(err)}, status_code=400)
