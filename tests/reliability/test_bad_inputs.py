"""Every bad input to `digitfusion predict`: a correct answer, or one stderr line naming the file (exit 2).

Each case builds its input inside tmp_path and drives the real CLI in a subprocess, so exit codes,
stdout and stderr are the user's. Error cases must print exactly one line `digitfusion: error: ...`
naming the file and the problem, no traceback, nothing on stdout (batch: only the good rows' answers),
and write no file anywhere in the case's folder.

Set DIGITFUSION_TEST_MODEL to an exported model folder to skip building the tiny one (development only).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image, ImageDraw
from scipy.signal import resample_poly

SPEECH = "fsdd/recordings/7_jackson_1.wav"
ANSWER = "answer"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture(scope="module")
def model_dir(request) -> Path:
    override = os.environ.get("DIGITFUSION_TEST_MODEL")
    return Path(override) if override else request.getfixturevalue("tiny_model")


@dataclass
class Ctx:
    """What a builder gets: its own folder, a real spoken digit (8 kHz float), and the model folder."""

    tmp: Path
    speech: np.ndarray
    model: Path


@dataclass
class Call:
    """CLI arguments after `predict`, the text stderr must name, and how to run it."""

    args: list[str]
    subject: str
    cwd: Path | None = None
    with_model: bool = True
    answers: int = field(default=-1)  # JSON lines expected on stdout (-1: 1 for an answer, 0 for an error)


# ----------------------------------------------------------------------------- input makers


def wav_bytes(data: np.ndarray, rate: int = 8000, subtype: str = "PCM_16") -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, data, rate, format="WAV", subtype=subtype)
    return buffer.getvalue()


def put(ctx: Ctx, name: str, content: bytes) -> Path:
    path = ctx.tmp / name
    path.write_bytes(content)
    return path


def audio(ctx: Ctx, name: str, content: bytes) -> Call:
    return Call(["--audio", str(put(ctx, name, content))], name)


def image(ctx: Ctx, name: str, content: bytes) -> Call:
    return Call(["--image", str(put(ctx, name, content))], name)


def drawing(size: int = 120, ink: int = 0, paper: int = 255) -> Image.Image:
    """A hand-drawn-looking 7: dark strokes on light paper (mode L)."""
    canvas = Image.new("L", (size, size), paper)
    pen = ImageDraw.Draw(canvas)
    s = size / 120
    pen.line([(30 * s, 25 * s), (90 * s, 25 * s), (50 * s, 100 * s)], fill=ink, width=max(1, round(9 * s)))
    return canvas


def encoded(img: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, fmt, **options)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def huge_png(width: int, height: int) -> bytes:
    """A valid-looking 1-bit PNG header claiming width x height, with one tiny IDAT (never decoded)."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + png_chunk(b"IEND", b""))


def patch_data_size(content: bytes, size: int) -> bytes:
    """Rewrite the `data` chunk's length field (and RIFF's) of a WAV file."""
    out = bytearray(content)
    at = out.find(b"data")
    struct.pack_into("<I", out, at + 4, size)
    struct.pack_into("<I", out, 4, min(at + 8 + size - 8, 0xFFFFFFFF))
    return bytes(out)


# ----------------------------------------------------------------------------- audio cases


def a_empty(c):
    return audio(c, "empty.wav", b"")


def a_header_only(c):
    return audio(c, "header_only.wav", wav_bytes(c.speech)[:44])


def a_half_data(c):
    content = wav_bytes(c.speech)
    return audio(c, "half.wav", content[: 44 + (len(content) - 44) // 2])


def a_lying_length(c):
    return audio(c, "lying.wav", patch_data_size(wav_bytes(c.speech), 0x7FFF0000))


def a_pcm24(c):
    return audio(c, "pcm24.wav", wav_bytes(c.speech, subtype="PCM_24"))


def a_float32(c):
    return audio(c, "float32.wav", wav_bytes(c.speech, subtype="FLOAT"))


def a_u8(c):
    return audio(c, "u8.wav", wav_bytes(c.speech, subtype="PCM_U8"))


def a_stereo(c):
    return audio(c, "stereo.wav", wav_bytes(np.stack([c.speech, 0.5 * c.speech], axis=1)))


def a_six_channels(c):
    return audio(c, "six.wav", wav_bytes(np.stack([c.speech * (k + 1) / 6 for k in range(6)], axis=1)))


def a_96k(c):
    return audio(c, "rate96k.wav", wav_bytes(resample_poly(c.speech, 12, 1).clip(-1, 1), 96000))


def a_11k(c):
    return audio(c, "rate11k.wav", wav_bytes(resample_poly(c.speech, 441, 320).clip(-1, 1), 11025))


def a_silence(c):
    return audio(c, "silence.wav", wav_bytes(np.zeros(8000, np.float32)))


def a_clipping(c):
    t = np.arange(8000) / 8000
    return audio(c, "square.wav", wav_bytes(np.sign(np.sin(2 * np.pi * 220 * t)).astype(np.float32)))


def a_ten_minutes(c):
    """A 10-minute 44.1 kHz WAV as a sparse file: the header is real, the samples are holes (zeros)."""
    rate, seconds = 44100, 600
    size = rate * seconds * 2
    path = put(c, "ten_minutes.wav", patch_data_size(wav_bytes(np.zeros(1, np.float32), rate)[:44], size))
    os.truncate(path, 44 + size)
    return Call(["--audio", str(path)], path.name)


def a_nan(c):
    wave = c.speech.copy()
    wave[100] = np.nan
    return audio(c, "nan.wav", wav_bytes(wave, subtype="FLOAT"))


def a_inf(c):
    wave = c.speech.copy()
    wave[100] = np.inf
    return audio(c, "inf.wav", wav_bytes(wave, subtype="FLOAT"))


def a_mp3_renamed(c):
    return audio(c, "song.wav", b"ID3\x03\x00\x00\x00\x00\x00\x0f" + b"junk data, not a frame " * 40)


def a_text_renamed(c):
    return audio(c, "notes.wav", b"shopping list: eggs, milk\n" * 20)


def a_fifo(c):
    path = c.tmp / "pipe.wav"
    os.mkfifo(path)
    return Call(["--audio", str(path)], path.name)


# ----------------------------------------------------------------------------- image cases


def i_png_truncated(c):
    content = encoded(drawing(400), "PNG", compress_level=0)
    return image(c, "cut.png", content[: len(content) // 2])


def i_jpeg_truncated(c):
    content = encoded(drawing(400).convert("RGB"), "JPEG", quality=95)
    return image(c, "cut.jpg", content[: len(content) // 2])


def i_tiff_corrupt(c):
    """Zeroed LZW data: libtiff prints its own complaint on fd 2, which must not reach the user."""
    content = encoded(drawing(200), "TIFF", compression="tiff_lzw")
    return image(c, "scan.tif", content[:200] + bytes(50) + content[250:])


def i_one_pixel(c):
    return image(c, "dot.png", encoded(Image.new("L", (1, 1), 0), "PNG"))


def i_bomb(c):
    return image(c, "bomb.png", huge_png(10000, 10000))


def i_over_limit(c):
    return image(c, "big.png", huge_png(6000, 6000))  # under Pillow's own limit, over ours


def i_rgba_transparent(c):
    rgba = Image.new("RGBA", (120, 120), (0, 0, 0, 0))
    rgba.putalpha(drawing(120, ink=255, paper=0))  # black strokes, fully transparent elsewhere
    return image(c, "transparent.png", encoded(rgba, "PNG"))


def i_rgba_light_ink(c):
    rgba = Image.new("RGBA", (120, 120), (255, 255, 255, 0))
    rgba.putalpha(drawing(120, ink=255, paper=0))  # white strokes on transparency (a dark-mode drawing)
    return image(c, "light_ink.png", encoded(rgba, "PNG"))


def i_palette(c):
    return image(c, "palette.png", encoded(drawing().convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE),
                                           "PNG"))


def i_gray16(c):
    sixteen = Image.fromarray(np.asarray(drawing(), np.uint16) * 257)
    assert sixteen.mode == "I;16"
    return image(c, "gray16.png", encoded(sixteen, "PNG"))


def i_gif_animated(c):
    frames = [drawing().convert("P"), Image.new("P", (120, 120), 255)]
    return image(c, "anim.gif", encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100))


def i_gif_blank_first(c):
    frames = [Image.new("L", (120, 120), 255).convert("P"), drawing().convert("P")]
    return image(c, "blank_first.gif", encoded(frames[0], "GIF", save_all=True, append_images=frames[1:]))


def i_white(c):
    return image(c, "white.png", encoded(Image.new("RGB", (100, 100), "white"), "PNG"))


def i_black(c):
    return image(c, "black.png", encoded(Image.new("RGB", (100, 100), "black"), "PNG"))


def i_text_renamed(c):
    return image(c, "photo.png", b"this is not a picture\n" * 10)


def i_wav_renamed(c):
    return image(c, "digit.png", wav_bytes(c.speech))


# ----------------------------------------------------------------------------- path cases


def p_missing_image(c):
    return Call(["--image", str(c.tmp / "nowhere.png")], "nowhere.png")


def p_missing_audio(c):
    return Call(["--audio", str(c.tmp / "nowhere.wav")], "nowhere.wav")


def p_directory(c):
    (c.tmp / "folder.wav").mkdir()
    return Call(["--audio", str(c.tmp / "folder.wav")], "folder.wav")


def p_unreadable(c):
    """chmod 000 blocks a normal user; root reads anything, so it gets a path that cannot be opened by anyone:
    a file under a regular file (`notes.txt/x.wav`, ENOTDIR)."""
    if IS_ROOT:
        put(c, "notes.txt", b"a regular file, not a folder")
        return Call(["--audio", str(c.tmp / "notes.txt" / "locked.wav")], "locked.wav")
    path = put(c, "locked.wav", wav_bytes(c.speech))
    path.chmod(0)
    return Call(["--audio", str(path)], path.name)


def p_image_and_bad_audio(c):
    good = put(c, "seven.png", encoded(drawing(), "PNG"))
    return Call(["--image", str(good), "--audio", str(put(c, "bad.wav", b"RIFF...."))], "bad.wav")


# ----------------------------------------------------------------------------- batch cases


def batch(c: Ctx, text: str | bytes, name: str = "batch.csv") -> Path:
    return put(c, name, text if isinstance(text, bytes) else text.encode())


def good_files(c: Ctx) -> tuple[str, str]:
    put(c, "seven.png", encoded(drawing(), "PNG"))
    put(c, "seven.wav", wav_bytes(c.speech))
    return "seven.png", "seven.wav"


def b_one_bad_row(c):
    img, wav = good_files(c)
    put(c, "broken.wav", b"not audio at all")
    path = batch(c, f"image,audio\n{img},{wav}\n,broken.wav\n{img},\n")
    return Call(["--batch", str(path)], "batch.csv:3", answers=2)


def b_no_header(c):
    img, wav = good_files(c)
    return Call(["--batch", str(batch(c, f"{img},{wav}\n"))], "batch.csv")


def b_empty(c):
    return Call(["--batch", str(batch(c, ""))], "batch.csv")


def b_missing_file_row(c):
    img, _ = good_files(c)
    return Call(["--batch", str(batch(c, f"image,audio\nghost.png,\n{img},\n"))], "ghost.png", answers=1)


def b_empty_row(c):
    img, _ = good_files(c)
    return Call(["--batch", str(batch(c, f"image,audio\n{img},\n , \n"))], "batch.csv:3", answers=1)


def b_blank_lines_counted(c):
    img, _ = good_files(c)
    return Call(["--batch", str(batch(c, f"image,audio\n{img},\n\n\n,ghost.wav\n"))], "batch.csv:5", answers=1)


def b_excel_bom(c):
    img, wav = good_files(c)
    return Call(["--batch", str(batch(c, f"\ufeffImage, Audio\r\n{img},{wav}\r\n".encode()))], "", answers=1)


def b_not_utf8(c):
    return Call(["--batch", str(batch(c, b"image,audio\n\xff\xfe\xfa.png,\n"))], "batch.csv")


def b_nul_in_path(c):
    return Call(["--batch", str(batch(c, b"image,audio\na\x00b.png,\n"))], "batch.csv:2")


def b_missing_csv(c):
    return Call(["--batch", str(c.tmp / "nothere.csv")], "nothere.csv")


def b_directory_csv(c):
    (c.tmp / "rows.csv").mkdir()
    return Call(["--batch", str(c.tmp / "rows.csv")], "rows.csv")


def b_huge_field(c):
    return Call(["--batch", str(batch(c, "image,audio\n" + "x" * 200_000 + ",\n"))], "batch.csv:2")


# ----------------------------------------------------------------------------- model cases


def m_missing_folder(c):
    img, _ = good_files(c)
    return Call(["--model", str(c.tmp / "no-model"), "--image", str(c.tmp / img)], "no-model", with_model=False)


def m_tampered(c):
    copy = c.tmp / "tampered"
    shutil.copytree(c.model, copy)
    with open(copy / "model.onnx", "r+b") as handle:
        handle.seek(100)
        byte = handle.read(1)
        handle.seek(100)
        handle.write(bytes([byte[0] ^ 0xFF]))
    img, _ = good_files(c)
    return Call(["--model", str(copy), "--image", str(c.tmp / img)], "model.onnx", with_model=False)


CASES = [
    # audio
    ("audio_empty", a_empty, "is empty"),
    ("audio_header_only", a_header_only, "no audio samples"),
    ("audio_half_data", a_half_data, ANSWER),  # libsndfile decodes what is there
    ("audio_lying_length", a_lying_length, ANSWER),  # length clamped to the file
    ("audio_pcm24", a_pcm24, ANSWER),
    ("audio_float32", a_float32, ANSWER),
    ("audio_u8", a_u8, ANSWER),
    ("audio_stereo", a_stereo, ANSWER),
    ("audio_six_channels", a_six_channels, ANSWER),
    ("audio_96k", a_96k, ANSWER),
    ("audio_11k", a_11k, ANSWER),
    ("audio_silence", a_silence, "silent"),
    ("audio_clipping", a_clipping, ANSWER),
    ("audio_ten_minutes", a_ten_minutes, "the limit is 60 s"),
    ("audio_nan", a_nan, "NaN or infinite"),
    ("audio_inf", a_inf, "NaN or infinite"),
    ("audio_mp3_renamed", a_mp3_renamed, "not a readable audio file"),
    ("audio_text_renamed", a_text_renamed, "not a readable audio file"),
    ("audio_fifo", a_fifo, "not a regular file"),
    # images
    ("image_png_truncated", i_png_truncated, "truncated or corrupt"),
    ("image_jpeg_truncated", i_jpeg_truncated, "truncated or corrupt"),
    ("image_tiff_corrupt", i_tiff_corrupt, "truncated or corrupt"),
    ("image_1x1", i_one_pixel, "too small"),
    ("image_10000x10000", i_bomb, "too large"),
    ("image_6000x6000", i_over_limit, "too large"),
    ("image_rgba_transparent", i_rgba_transparent, ANSWER),
    ("image_rgba_light_ink", i_rgba_light_ink, ANSWER),
    ("image_palette", i_palette, ANSWER),
    ("image_gray16", i_gray16, ANSWER),
    ("image_gif_animated", i_gif_animated, ANSWER),  # first frame: the digit (the second is blank)
    ("image_gif_blank_first", i_gif_blank_first, "blank"),  # first frame is what counts
    ("image_white", i_white, "blank"),
    ("image_black", i_black, "blank"),
    ("image_text_renamed", i_text_renamed, "not an image file"),
    ("image_wav_renamed", i_wav_renamed, "not an image file"),
    # paths
    ("path_missing_image", p_missing_image, "no such file"),
    ("path_missing_audio", p_missing_audio, "no such file"),
    ("path_directory", p_directory, "is a directory"),
    ("path_unreadable", p_unreadable, "cannot be read"),
    ("path_image_ok_audio_bad", p_image_and_bad_audio, "not a readable audio file"),
    # batch CSV
    ("batch_one_bad_row", b_one_bad_row, "broken.wav"),
    ("batch_no_header", b_no_header, "needs a header"),
    ("batch_empty", b_empty, "is empty"),
    ("batch_missing_file_row", b_missing_file_row, "batch.csv:2"),
    ("batch_empty_row", b_empty_row, "empty row"),
    ("batch_blank_lines_counted", b_blank_lines_counted, "ghost.wav"),
    ("batch_excel_bom", b_excel_bom, ANSWER),
    ("batch_not_utf8", b_not_utf8, "not UTF-8"),
    ("batch_nul_in_path", b_nul_in_path, "embedded null byte"),
    ("batch_missing_csv", b_missing_csv, "no such batch CSV"),
    ("batch_directory_csv", b_directory_csv, "is a directory"),
    ("batch_huge_field", b_huge_field, "not a valid CSV"),
    # model
    ("model_missing_folder", m_missing_folder, "no model folder"),
    ("model_tampered", m_tampered, "checksum mismatch"),
]


@pytest.fixture(scope="module")
def speech(real_root) -> np.ndarray:
    wave, rate = sf.read(real_root / SPEECH, dtype="float32")
    assert rate == 8000 and wave.ndim == 1
    return wave


def run_cli(call: Call, model: Path, tmp: Path) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "digitfusion", "predict", "--json"]
    argv += ["--model", str(model)] if call.with_model else []
    return subprocess.run(argv + call.args, cwd=call.cwd or tmp, capture_output=True, text=True, timeout=120)


def listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def check_answer(text: str) -> dict:
    answer = json.loads(text)
    assert answer["status"] in ("ok", "unsure", "rejected")
    assert (answer["digit"] is None) == (answer["status"] == "rejected")  # a rejected answer names no digit
    assert answer["digit"] is None or 0 <= answer["digit"] <= 9
    assert 0.0 <= answer["confidence"] <= 1.0
    assert len(answer["probabilities"]) == 10 and abs(sum(answer["probabilities"]) - 1.0) < 1e-3
    assert set(answer["modalities"]) == {"image", "audio"} and set(answer["weights"]) == {"image", "audio"}
    return answer


@pytest.mark.parametrize("name,builder,expectation", CASES, ids=[case[0] for case in CASES])
def test_bad_input(name, builder, expectation, model_dir, speech, tmp_path):
    call = builder(Ctx(tmp_path, speech, model_dir))
    before = listing(tmp_path)
    run = run_cli(call, model_dir, tmp_path)
    assert listing(tmp_path) == before, "predict wrote files"
    assert "Traceback" not in run.stderr, run.stderr
    answers = [check_answer(line) for line in run.stdout.splitlines()]
    if expectation == ANSWER:
        assert run.returncode == 0 and run.stderr == "", run.stderr
        assert len(answers) == (1 if call.answers < 0 else call.answers)
        return
    assert run.returncode == 2, (run.returncode, run.stdout, run.stderr)
    assert run.stderr.count("\n") == 1 and run.stderr.endswith("\n"), run.stderr
    assert run.stderr.startswith("digitfusion: error: "), run.stderr
    assert call.subject in run.stderr and expectation in run.stderr, run.stderr
    assert len(answers) == max(call.answers, 0), run.stdout


def test_enough_cases():
    assert len(CASES) >= 30


def test_batch_keeps_answering_after_a_bad_row(model_dir, speech, tmp_path):
    """The good rows' answers carry their own CSV line numbers; the bad one only appears on stderr."""
    call = b_one_bad_row(Ctx(tmp_path, speech, model_dir))
    run = run_cli(call, model_dir, tmp_path)
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert [row["line"] for row in rows] == [2, 4]
    assert rows[0]["modalities"]["audio"] is not None and rows[1]["modalities"]["audio"] is None
    assert run.stderr.startswith("digitfusion: error: ") and "batch.csv:3: " in run.stderr


def test_length_is_refused_from_the_header(speech, tmp_path, monkeypatch):
    """The 10-minute file is refused before a single sample is decoded."""
    from digitfusion.audio_io import load_audio
    from digitfusion.errors import DigitfusionError

    call = a_ten_minutes(Ctx(tmp_path, speech, tmp_path))

    def no_decoding(*args, **kwargs):
        raise AssertionError("samples were decoded")

    monkeypatch.setattr(sf.SoundFile, "read", no_decoding)
    monkeypatch.setattr(sf, "read", no_decoding)
    with pytest.raises(DigitfusionError, match="600 s long, the limit is 60 s"):
        load_audio(call.args[-1])


def test_closed_stdout_is_not_a_traceback(model_dir, speech, tmp_path):
    """`digitfusion predict ... | head -0`: the reader is gone before the answer is written."""
    img, _ = good_files(Ctx(tmp_path, speech, model_dir))
    argv = [sys.executable, "-m", "digitfusion", "predict", "--model", str(model_dir), "--image", img, "--json"]
    process = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()
    _, err = process.communicate(timeout=120)
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err
    assert process.returncode in (0, 141)


@pytest.mark.parametrize("kind", ["audio", "image"])
def test_permission_denied_path(kind, speech, tmp_path, monkeypatch):
    """The chmod-000 branch, reachable even as root: os.access is made to say no."""
    from digitfusion.audio_io import load_audio
    from digitfusion.errors import DigitfusionError
    from digitfusion.features.image import load_user_image

    path = put(Ctx(tmp_path, speech, tmp_path), f"locked.{'wav' if kind == 'audio' else 'png'}",
               wav_bytes(speech) if kind == "audio" else encoded(drawing(), "PNG"))
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    with pytest.raises(DigitfusionError, match="permission denied") as err:
        (load_audio if kind == "audio" else load_user_image)(path)
    assert "locked." in str(err.value)
