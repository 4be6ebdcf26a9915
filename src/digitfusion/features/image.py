"""User images to MNIST convention (the classic recipe), and MNIST normalisation.

MNIST digits are light ink on black, size-normalised so the longer side of the ink is 20 px
(anti-aliased), and pasted into 28x28 so that the ink's centre of mass sits at (14, 14).
`to_mnist` brings any photo or drawing to that form; `load_user_image*` add the file checks.

Pure numpy / scipy / Pillow: no torch, so the torch-free predict path can use it.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from digitfusion.errors import DigitfusionError
from digitfusion.files import check_readable_file, short_reason

# scipy.ndimage is imported in the functions that use it: every `predict` and `enrol` imports this module, and a
# recording's path never needs it (0.15 s at start).

MNIST_MEAN = 0.1307
MNIST_STD = 0.3081

SIDE = 28  # output canvas
BOX = 20  # longer side of the ink after size normalisation
CENTRE = 14.0  # where the centre of mass goes (MNIST's mean centre of mass is (14.0, 14.0))
MAX_PIXELS = 25_000_000  # larger images are refused before decoding (decompression bombs)
MIN_SIDE = 8  # smaller images cannot hold a legible digit
WORK_SIDE = 1024  # larger images are shrunk (area average) to this longer side before analysis
MIN_CONTRAST = 40.0  # ink must differ from the background by this much (0-255 scale)
UNEVEN_BORDER = 24.0  # border spread (p90 - p10) above this means uneven lighting
KEEP_FRACTION = 0.03  # ink blobs with less than this share of the largest blob's ink are specks
MIN_STROKE = 0.09  # thinner strokes (share of the longer side) are thickened to it; MNIST: 5%-50% = 0.085-0.13
BLANK = "no ink found: the image is blank"


# ----------------------------------------------------------------------------- normalisation


def normalise(images: np.ndarray) -> np.ndarray:
    """uint8 MNIST images [N,28,28] (or one [28,28]) -> float32 (x/255 - mean)/std with a channel axis.

    [N,28,28] -> [N,1,28,28]; [28,28] -> [1,28,28].
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise ValueError(f"normalise expects uint8 images, got {images.dtype}")
    if images.ndim not in (2, 3) or images.shape[-2:] != (SIDE, SIDE):
        raise ValueError(f"normalise expects [N,28,28] or [28,28], got {list(images.shape)}")
    scaled = (images.astype(np.float32) / np.float32(255.0) - np.float32(MNIST_MEAN)) / np.float32(MNIST_STD)
    return scaled[:, None] if images.ndim == 3 else scaled[None]


# ----------------------------------------------------------------------------- loading


def load_user_image(path: str | os.PathLike) -> np.ndarray:
    """Open a user's image file and convert it to MNIST convention: uint8 [28,28].

    Raises DigitfusionError naming the file for every problem with it.
    """
    path = Path(path)
    check_readable_file(path, "image")
    try:
        handle = path.open("rb")
    except OSError as err:
        raise DigitfusionError(path, f"cannot be read ({short_reason(err)})") from None
    with handle:
        image = _decode(handle, path)
    return to_mnist(image, name=str(path))


def load_user_image_bytes(data: bytes, name: str) -> np.ndarray:
    """Like `load_user_image` for an uploaded file's bytes; `name` is used in error messages."""
    if not data:
        raise DigitfusionError(name, "is empty")
    return to_mnist(_decode(io.BytesIO(data), name), name=name)


def _decode(handle, name: object) -> Image.Image:
    """Fully decode the first frame of an image, refusing non-images, bombs, truncation and tiny sizes."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(handle)
        except UnidentifiedImageError:
            raise DigitfusionError(name, "not an image file (or a format Pillow cannot read)") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise DigitfusionError(name, f"image is too large (limit is {MAX_PIXELS:,} pixels)") from None
        except Exception as err:  # Pillow's plugins raise OSError, SyntaxError, ValueError, struct.error, ...
            raise DigitfusionError(name, f"cannot be read as an image ({short_reason(err)})") from None
        _check_size(image, name)
        try:
            image.seek(0)  # animated images: the first frame
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise DigitfusionError(name, f"image is too large (limit is {MAX_PIXELS:,} pixels)") from None
        except Exception as err:  # truncated or corrupt data: OSError, SyntaxError, ValueError, EOFError, ...
            raise DigitfusionError(name, f"image data is truncated or corrupt ({short_reason(err)})") from None
    return _upright(image)


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation (phone photos store their rotation there); keep the image if it is bad."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # a malformed EXIF block can raise almost anything inside Pillow
        return image


def _check_size(image: Image.Image, name: object) -> None:
    """Refuse images over MAX_PIXELS (before decoding anything) and under MIN_SIDE on a side."""
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise DigitfusionError(name, f"image is too large ({width}x{height}, limit is {MAX_PIXELS:,} pixels)")
    if min(width, height) < MIN_SIDE:
        raise DigitfusionError(name, f"image is too small ({width}x{height}, need {MIN_SIDE} px a side)")


# ----------------------------------------------------------------------------- conversion


def to_mnist(image: Image.Image, name: str = "image") -> np.ndarray:
    """Convert a user image (any size/mode, either polarity) to an MNIST-style uint8 [28,28].

    grayscale -> ink bright on black -> background removed -> crop to the ink -> strokes thickened
    if hair-thin -> longer side 20 px (anti-aliased) -> centre of mass at (14, 14).
    Raises DigitfusionError(name, ...) when there is no ink.
    """
    try:
        ink = _ink_map(_grayscale(image, 255.0, name), name)
    except DigitfusionError:
        if not _has_alpha(image):
            raise
        ink = _ink_map(_grayscale(image, 0.0, name), name)  # light ink on a transparent background
    crop = _thicken(_crop(ink))
    return _centre(_fit_box(crop))


def _has_alpha(image: Image.Image) -> bool:
    """Whether the image carries transparency (alpha channel or palette transparency)."""
    return image.mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in image.info


def _grayscale(image: Image.Image, backing: float, name: str) -> np.ndarray:
    """float32 [H,W] in 0..255; transparent pixels are composited onto `backing` (255 = white paper)."""
    if image.mode.startswith(("I", "F")):
        return _high_depth_gray(image)
    if _has_alpha(image):
        rgba = _to_rgb(image, name, "RGBA")
        gray = np.asarray(rgba.convert("RGB").convert("L"), dtype=np.float32)
        alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32) / 255.0
        return alpha * gray + (1.0 - alpha) * np.float32(backing)
    plain = image if image.mode in ("L", "1", "RGB") else _to_rgb(image, name)
    return np.asarray(plain.convert("L"), dtype=np.float32)


def _to_rgb(image: Image.Image, name: str, mode: str = "RGB") -> Image.Image:
    """Convert to RGB(A); modes Pillow cannot convert are a user error."""
    try:
        return image.convert(mode)
    except Exception as err:  # ValueError, OSError, or a mode without a conversion path
        raise DigitfusionError(name, f"unsupported image mode {image.mode} ({short_reason(err)})") from None


def _high_depth_gray(image: Image.Image) -> np.ndarray:
    """16-bit ('I;16*', 'I') and float ('F') images to 0..255 by their nominal range."""
    values = np.nan_to_num(np.asarray(image).astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    if image.mode.startswith("I;16") or (image.mode == "I" and values.max() > 255):
        values = values / 257.0
    elif image.mode == "F" and values.max() <= 1.0:
        values = values * 255.0
    return np.clip(values, 0.0, 255.0)


def _shrink(gray: np.ndarray, longest: int = WORK_SIDE) -> np.ndarray:
    """Area-average a large image down so its longer side is `longest` (speed; 20 px is the goal)."""
    height, width = gray.shape
    scale = longest / max(height, width)
    if scale >= 1.0:
        return gray
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(gray).resize(size, Image.Resampling.BOX), dtype=np.float32)


def _border(gray: np.ndarray) -> np.ndarray:
    """The pixels of a frame ~2% wide around the image (the paper, in a photo of a digit)."""
    width = max(1, round(0.02 * min(gray.shape)))
    mask = np.ones(gray.shape, dtype=bool)
    mask[width:-width, width:-width] = False
    return gray[mask]


def _ink_bright(gray: np.ndarray) -> np.ndarray:
    """Orient so ink is bright: the background is the border's median; ink lies on the farther side."""
    background = float(np.median(_border(gray)))
    darker_ink = background - float(gray.min())
    lighter_ink = float(gray.max()) - background
    return 255.0 - gray if darker_ink > lighter_ink else gray


def _remove_background(bright: np.ndarray) -> np.ndarray:
    """Subtract the paper level: a constant, or a smooth estimate under uneven lighting (photos)."""
    border = _border(bright)
    low, high = np.percentile(border, [10, 90])
    if high - low <= UNEVEN_BORDER:
        background: np.ndarray | float = float(np.median(border))
    else:
        background = _background_surface(bright)
    return np.clip(bright - background, 0.0, None)


def _background_surface(bright: np.ndarray) -> np.ndarray:
    """Smooth background under bright ink: grey opening (removes strokes) on a 64-px thumbnail."""
    from scipy import ndimage

    height, width = bright.shape
    small = _shrink(bright, 64)
    size = max(3, round(min(small.shape) / 4))
    opened = ndimage.uniform_filter(ndimage.grey_opening(small, size=(size, size)), size=3)
    surface = Image.fromarray(opened.astype(np.float32)).resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(surface, dtype=np.float32)


def _otsu(values: np.ndarray) -> float:
    """Otsu's threshold of values in 0..255 (maximises the between-class variance)."""
    hist = np.bincount(np.clip(values, 0, 255).astype(np.uint8).ravel(), minlength=256).astype(np.float64)
    levels = np.arange(256, dtype=np.float64)
    weight = np.cumsum(hist)
    mass = np.cumsum(hist * levels)
    total, total_mass = weight[-1], mass[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (total_mass * weight - total * mass) ** 2 / (weight * (total - weight))
    between = np.nan_to_num(between[:-1], nan=-1.0)
    return float(np.argmax(between)) + 0.5


def _ink_map(gray: np.ndarray, name: str) -> np.ndarray:
    """Ink strength in 0..1 (0 = background), specks removed; DigitfusionError if there is no ink."""
    signal = _remove_background(_ink_bright(_shrink(gray)))
    if float(signal.max()) < MIN_CONTRAST:
        raise DigitfusionError(name, BLANK)
    threshold = max(_otsu(signal), MIN_CONTRAST / 2)
    strong = signal > threshold
    if not strong.any():
        raise DigitfusionError(name, BLANK)
    low, high = threshold / 2, float(np.median(signal[strong]))
    ink = np.clip((signal - low) / max(high - low, 1e-6), 0.0, 1.0)
    return _drop_specks(ink, strong)


def _drop_specks(ink: np.ndarray, strong: np.ndarray) -> np.ndarray:
    """Zero blobs (8-connected) whose strong-ink count is under KEEP_FRACTION of the largest blob's."""
    from scipy import ndimage

    labels, count = ndimage.label(ink > 0, structure=np.ones((3, 3)))
    sizes = ndimage.sum_labels(strong, labels, index=np.arange(1, count + 1))
    keep = np.concatenate([[False], (sizes > 0) & (sizes >= KEEP_FRACTION * sizes.max())])
    return np.where(keep[labels], ink, 0.0).astype(np.float32)


def _crop(ink: np.ndarray) -> np.ndarray:
    """Crop to the bounding box of the ink."""
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _stroke_width(ink: np.ndarray) -> float:
    """Mean stroke width in px: 4 * mean distance-to-edge over the ink, less the pixel-grid bias."""
    from scipy import ndimage

    solid = ink >= 0.5
    if not solid.any():
        return 1.0
    depth = ndimage.distance_transform_edt(np.pad(solid, 1))[1:-1, 1:-1]
    return max(1.0, 4.0 * float(depth[solid].mean()) - 2.0)


def _thicken(crop: np.ndarray) -> np.ndarray:
    """Dilate strokes thinner than MIN_STROKE of the longer side (pen lines on a big canvas) to it."""
    from scipy import ndimage

    longest, width = max(crop.shape), _stroke_width(crop)
    radius = (MIN_STROKE * longest - width) / (2.0 * (1.0 - MIN_STROKE))
    if radius <= 0.25:
        return crop
    pad = int(np.ceil(radius)) + 1
    padded = np.pad(crop, pad)
    distance = ndimage.distance_transform_edt(padded < 0.5)
    return _crop(np.maximum(padded, np.clip(radius + 0.5 - distance, 0.0, 1.0)).astype(np.float32))


def _fit_box(crop: np.ndarray) -> np.ndarray:
    """Resize keeping the aspect ratio so the longer side is 20 px (area average, or Lanczos to enlarge)."""
    height, width = crop.shape
    scale = BOX / max(height, width)
    size = (max(1, min(BOX, round(width * scale))), max(1, min(BOX, round(height * scale))))
    resample = Image.Resampling.BOX if scale < 1.0 else Image.Resampling.LANCZOS
    resized = Image.fromarray(crop.astype(np.float32)).resize(size, resample)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def _centre(digit: np.ndarray) -> np.ndarray:
    """Paste into 28x28 so the centre of mass lands on (14, 14) (rounded shift), scaled to max 255."""
    from scipy import ndimage

    height, width = digit.shape
    com_y, com_x = ndimage.center_of_mass(digit)
    top = int(np.clip(round(CENTRE - com_y), 0, SIDE - height))
    left = int(np.clip(round(CENTRE - com_x), 0, SIDE - width))
    canvas = np.zeros((SIDE, SIDE), dtype=np.float32)
    canvas[top : top + height, left : left + width] = digit
    return np.round(canvas * (255.0 / max(float(canvas.max()), 1e-6))).astype(np.uint8)
