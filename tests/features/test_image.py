"""User images to MNIST convention: shape, size, centring, polarity, file errors (tiny generated fixtures)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from digitfusion.errors import DigitfusionError
from digitfusion.features import image as im
from digitfusion.features.image import (
    MNIST_MEAN,
    MNIST_STD,
    load_user_image,
    load_user_image_bytes,
    normalise,
    to_mnist,
)

WHITE, BLACK = (255, 255, 255), (0, 0, 0)
BLUE, CREAM = (20, 40, 200), (250, 244, 215)


# ----------------------------------------------------------------------------- fixtures


def font_digit(size, text="7", ink=BLACK, paper=WHITE, mode="RGB") -> Image.Image:
    """A digit in Pillow's scalable default font, about 60% of the canvas height, off-centre."""
    img = Image.new(mode, size, paper)
    font = ImageFont.load_default(size=max(10, int(0.6 * min(size))))
    ImageDraw.Draw(img).text((size[0] * 0.3, size[1] * 0.15), text, fill=ink, font=font)
    return img


def line_four(size, width, ink=BLACK, paper=WHITE, mode="RGB") -> Image.Image:
    """A '4' made of three straight strokes of the given width."""
    w, h = size
    img = Image.new(mode, size, paper)
    draw = ImageDraw.Draw(img)
    pts = [(0.55 * w, 0.2 * h), (0.3 * w, 0.6 * h), (0.7 * w, 0.6 * h)]
    draw.line(pts, fill=ink, width=width)
    draw.line([(0.6 * w, 0.35 * h), (0.6 * w, 0.85 * h)], fill=ink, width=width)
    return img


def bbox(a: np.ndarray) -> tuple[int, int]:
    """(height, width) of the nonzero pixels."""
    rows, cols = np.flatnonzero(a.any(axis=1)), np.flatnonzero(a.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def assert_mnist_like(out: np.ndarray) -> None:
    """uint8 28x28, ink box 20 on the longer side, centre of mass at (14, 14), black corners, bright ink."""
    assert out.dtype == np.uint8 and out.shape == (28, 28)
    assert 19 <= max(bbox(out)) <= 20, bbox(out)
    com = ndimage.center_of_mass(out.astype(float))
    assert abs(com[0] - 14) <= 1 and abs(com[1] - 14) <= 1, com
    for corner in (out[:3, :3], out[:3, -3:], out[-3:, :3], out[-3:, -3:]):
        assert corner.max() == 0
    assert out.max() > 200


def shifted_corr(a: np.ndarray, b: np.ndarray) -> float:
    """Best correlation over shifts of at most 1 px (centring rounds the centre of mass to a pixel)."""
    a = a.astype(float).ravel()
    return max(
        np.corrcoef(a, np.roll(b.astype(float), (dy, dx), axis=(0, 1)).ravel())[0, 1]
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    )


def png_bytes(img: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def header_only_png(path: Path, width: int, height: int) -> None:
    """A valid 1-bit PNG of width x height written as a stream (never held as an image in memory)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" * (1 + (width + 7) // 8)
    comp = zlib.compressobj(9)
    idat = b"".join(comp.compress(row * 1000) for _ in range(height // 1000)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


# ----------------------------------------------------------------------------- normalise


def test_normalise_batch_and_single():
    batch = np.zeros((3, 28, 28), dtype=np.uint8)
    batch[:, 0, 0] = 255
    out = normalise(batch)
    assert out.shape == (3, 1, 28, 28) and out.dtype == np.float32
    assert out[0, 0, 1, 1] == pytest.approx(-MNIST_MEAN / MNIST_STD, abs=1e-6)
    assert out[0, 0, 0, 0] == pytest.approx((1 - MNIST_MEAN) / MNIST_STD, abs=1e-6)
    assert normalise(batch[0]).shape == (1, 28, 28)


@pytest.mark.parametrize("bad", [np.zeros((28, 28), np.float32), np.zeros((2, 28, 27), np.uint8)])
def test_normalise_rejects_wrong_input(bad):
    with pytest.raises(ValueError):
        normalise(bad)


# ----------------------------------------------------------------------------- conversion


@pytest.mark.parametrize("size", [(64, 64), (300, 200), (1000, 800)])
@pytest.mark.parametrize("ink,paper", [(BLACK, WHITE), (BLUE, CREAM), (WHITE, BLACK)])
@pytest.mark.parametrize("text", ["7", "0", "1"])
def test_font_digits_become_mnist_like(size, ink, paper, text):
    out = to_mnist(font_digit(size, text, ink, paper))
    assert_mnist_like(out)
    if text == "1":  # a tall thin digit: 20 px tall, much narrower
        height, width = bbox(out)
        assert height >= 19 and width < 16


@pytest.mark.parametrize(
    "size,width",
    [(s, w) for s in [(64, 64), (300, 200), (1000, 800)] for w in [1, 3, 12, 40] if w * 8 <= min(s)],
)
def test_stroke_thickness(size, width):
    out = to_mnist(line_four(size, width))
    assert_mnist_like(out)
    assert (out > 128).mean() > 0.04  # hair-thin lines are thickened, not left faint


def test_rgba_with_transparent_background():
    img = font_digit((200, 200), "3", ink=(0, 0, 0, 255), paper=(0, 0, 0, 0), mode="RGBA")
    out = to_mnist(img)
    assert_mnist_like(out)
    ref = to_mnist(font_digit((200, 200), "3"))
    assert np.abs(out.astype(int) - ref).mean() < 3


def test_light_ink_on_transparent_background():
    img = font_digit((200, 200), "3", ink=(255, 255, 255, 255), paper=(255, 255, 255, 0), mode="RGBA")
    assert_mnist_like(to_mnist(img))


def test_polarity_dark_on_light_equals_light_on_dark():
    dark_on_light = font_digit((300, 200), "5", mode="L", ink=0, paper=255)
    light_on_dark = Image.fromarray(255 - np.asarray(dark_on_light))
    a, b = to_mnist(dark_on_light), to_mnist(light_on_dark)
    assert np.abs(a.astype(int) - b).mean() < 2
    gray_paper = Image.fromarray((np.asarray(dark_on_light) * 0.4 + 60).astype(np.uint8))  # dim photo
    assert np.abs(to_mnist(gray_paper).astype(int) - a).mean() < 4


@pytest.mark.parametrize("light", ["ramp", "shadow"])
def test_photo_with_uneven_light_and_texture(light):
    clean = np.asarray(line_four((600, 450), 14, mode="L", ink=0, paper=255), dtype=float)
    yy, xx = np.mgrid[:450, :600]
    if light == "ramp":  # paper 230 on the left, 70 on the right: darker than the ink's 40 is light
        shade = (1.0 - 0.7 * xx / 600) * (1.0 - 0.2 * yy / 450)
    else:  # a soft shadow over the top right
        shade = 1.0 - 0.6 * np.exp(-((xx - 500) ** 2 + (yy - 80) ** 2) / (2 * 150**2))
    photo = (clean * 0.75 + 40) * shade + np.random.default_rng(0).normal(0, 4, clean.shape)
    out = to_mnist(Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8)))
    assert_mnist_like(out)
    assert shifted_corr(out, to_mnist(Image.fromarray(clean.astype(np.uint8)))) > 0.9


def test_specks_do_not_move_the_crop():
    img = line_four((400, 400), 16, mode="L", ink=0, paper=255)
    specked = img.copy()
    ImageDraw.Draw(specked).ellipse((370, 10, 372, 12), fill=0)
    ImageDraw.Draw(specked).point([(20, 380), (25, 330)], fill=0)
    assert np.array_equal(to_mnist(specked), to_mnist(img))


def mnist_like_seven() -> np.ndarray:
    """A '7' made the MNIST way: drawn big, cropped, fitted to 20 px, centre of mass at (14, 14)."""
    big = Image.new("L", (280, 280), 0)
    ImageDraw.Draw(big).line([(60, 50), (210, 50), (120, 240)], fill=255, width=26)
    arr = np.asarray(big)
    rows, cols = np.flatnonzero(arr.any(1)), np.flatnonzero(arr.any(0))
    crop = Image.fromarray(arr[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])
    scale = 20 / max(crop.size)
    small = np.asarray(crop.resize((round(crop.width * scale), round(crop.height * scale)), Image.Resampling.BOX))
    cy, cx = ndimage.center_of_mass(small.astype(float))
    out = np.zeros((28, 28), np.uint8)
    top, left = round(14 - cy), round(14 - cx)
    out[top : top + small.shape[0], left : left + small.shape[1]] = small
    return out


def test_round_trip_of_an_mnist_like_digit():
    seven = mnist_like_seven()
    photo = Image.fromarray(255 - seven).resize((280, 280), Image.Resampling.BILINEAR)  # black ink on white, 10x
    back = to_mnist(photo)
    assert_mnist_like(back)
    assert shifted_corr(seven, back) > 0.9
    assert shifted_corr(seven, to_mnist(Image.fromarray(seven))) > 0.97  # already MNIST: unchanged


@pytest.mark.integration
def test_round_trip_of_real_mnist_digits():
    from digitfusion.data.mnist import load_mnist
    from digitfusion.paths import find_data_root

    root = find_data_root()
    if root is None or not (root / "mnist").is_dir():
        pytest.skip("no data root with mnist/ found")
    images, _ = load_mnist(root, "test")
    corrs = [
        shifted_corr(a, to_mnist(Image.fromarray(255 - a).resize((280, 280), Image.Resampling.BILINEAR)))
        for a in images[:100]
    ]
    assert np.median(corrs) > 0.95 and np.percentile(corrs, 5) > 0.85


@pytest.mark.parametrize(
    "img",
    [
        Image.new("RGB", (100, 100), WHITE),
        Image.new("RGB", (100, 100), BLACK),
        Image.new("L", (300, 200), 128),
        Image.new("RGBA", (100, 100), (0, 0, 0, 0)),
        Image.fromarray(np.clip(np.random.default_rng(1).normal(200, 3, (120, 90)), 0, 255).astype(np.uint8)),
    ],
    ids=["white", "black", "gray", "transparent", "noisy-paper"],
)
def test_blank_images_are_refused(img):
    with pytest.raises(DigitfusionError, match="no ink found: the image is blank") as err:
        to_mnist(img, name="blank.png")
    assert err.value.subject == "blank.png"


def test_palette_images():
    rgb = font_digit((200, 160), "2", BLUE, CREAM)
    ref = to_mnist(rgb)
    assert np.abs(to_mnist(rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)).astype(int) - ref).mean() < 3
    pal = font_digit((200, 160), "2", mode="P", ink=1, paper=0)
    pal.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)
    assert np.abs(to_mnist(pal).astype(int) - ref).mean() < 3
    pal.info["transparency"] = 0  # the paper is transparent
    assert np.abs(to_mnist(pal).astype(int) - ref).mean() < 3


def test_sixteen_bit_and_two_channel_images(tmp_path):
    gray = np.asarray(font_digit((240, 180), "8", mode="L", ink=0, paper=255))
    ref = to_mnist(Image.fromarray(gray))
    deep = Image.fromarray(gray.astype(np.uint16) * 257)
    assert deep.mode == "I;16"
    assert np.abs(to_mnist(deep).astype(int) - ref).mean() < 2
    deep.save(tmp_path / "deep.png")
    assert np.abs(load_user_image(tmp_path / "deep.png").astype(int) - ref).mean() < 2
    la = Image.merge("LA", [Image.fromarray(gray), Image.new("L", (240, 180), 255)])
    assert np.abs(to_mnist(la).astype(int) - ref).mean() < 2
    assert np.abs(to_mnist(Image.fromarray(gray).convert("1")).astype(int) - ref).mean() < 8


# ----------------------------------------------------------------------------- files


def test_load_user_image_from_png_and_jpeg(tmp_path):
    img = font_digit((300, 200), "6", BLUE, CREAM)
    ref = to_mnist(img)
    img.save(tmp_path / "six.png")
    img.save(tmp_path / "six.jpg", quality=85)
    assert np.array_equal(load_user_image(tmp_path / "six.png"), ref)
    assert np.abs(load_user_image(str(tmp_path / "six.jpg")).astype(int) - ref).mean() < 4
    assert np.array_equal(load_user_image_bytes((tmp_path / "six.png").read_bytes(), "six.png"), ref)


def test_exif_orientation_is_applied(tmp_path):
    img = line_four((300, 200), 12)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    img.save(tmp_path / "phone.png", exif=exif)
    out = load_user_image(tmp_path / "phone.png")
    assert np.array_equal(out, to_mnist(img.transpose(Image.Transpose.ROTATE_270)))
    assert not np.array_equal(out, to_mnist(img))


def test_animated_gif_uses_first_frame(tmp_path):
    first = font_digit((120, 120), "1", mode="L", ink=0, paper=255)
    second = font_digit((120, 120), "8", mode="L", ink=0, paper=255)
    first.save(tmp_path / "anim.gif", save_all=True, append_images=[second], duration=100, loop=0)
    with Image.open(tmp_path / "anim.gif") as check:
        assert check.n_frames == 2
    out = load_user_image(tmp_path / "anim.gif")
    assert np.abs(out.astype(int) - to_mnist(first)).mean() < 3
    assert np.abs(out.astype(int) - to_mnist(second)).mean() > 10


def expect_error(path, problem: str) -> DigitfusionError:
    with pytest.raises(DigitfusionError, match=problem) as err:
        load_user_image(path)
    assert err.value.subject == str(path)
    assert "\n" not in str(err.value)
    return err.value


def test_missing_file_directory_and_empty_file(tmp_path):
    expect_error(tmp_path / "nope.png", "no such file")
    expect_error(tmp_path, "is a directory")
    (tmp_path / "empty.png").write_bytes(b"")
    expect_error(tmp_path / "empty.png", "is empty")


def test_not_an_image(tmp_path):
    (tmp_path / "text.png").write_bytes(b"this is not a picture\n" * 20)
    expect_error(tmp_path / "text.png", "not an image file")
    with pytest.raises(DigitfusionError, match="not an image file"):
        load_user_image_bytes(b"GIF? no", "upload.gif")
    with pytest.raises(DigitfusionError, match="is empty"):
        load_user_image_bytes(b"", "upload.png")


def test_truncated_png(tmp_path):
    data = png_bytes(font_digit((300, 200), "9"))
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    expect_error(tmp_path / "cut.png", "truncated or corrupt")


@pytest.mark.parametrize("size", [(1, 1), (5, 40), (40, 7)])
def test_tiny_images_are_refused(tmp_path, size):
    Image.new("L", size, 0).save(tmp_path / "tiny.png")
    expect_error(tmp_path / "tiny.png", "too small")


def test_smallest_accepted_image(tmp_path):
    arr = np.full((8, 8), 255, np.uint8)
    arr[1:7, 3:5] = 0
    Image.fromarray(arr).save(tmp_path / "small.png")
    assert_mnist_like(load_user_image(tmp_path / "small.png"))


def test_pixel_limit(tmp_path, monkeypatch):
    font_digit((100, 100), "4").save(tmp_path / "four.png")
    monkeypatch.setattr(im, "MAX_PIXELS", 5_000)
    expect_error(tmp_path / "four.png", "too large")
    with pytest.raises(DigitfusionError, match="too large"):
        load_user_image_bytes((tmp_path / "four.png").read_bytes(), "four.png")


@pytest.mark.parametrize("size", [(10_000, 10_000), (20_000, 10_000)], ids=["over-limit", "pillow-bomb"])
def test_decompression_bomb_is_refused_before_decoding(tmp_path, size):
    header_only_png(tmp_path / "bomb.png", *size)
    assert (tmp_path / "bomb.png").stat().st_size < 200_000
    expect_error(tmp_path / "bomb.png", "too large")
