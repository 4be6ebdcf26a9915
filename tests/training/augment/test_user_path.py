import numpy as np
import torch
from PIL import Image

from digitfusion.features.image import load_user_image, normalise
from digitfusion.training.augment import IMAGE_BACKGROUND, convert_like_predict, user_path
from tests.training.augment.signals import digits, gen


def off_centre(b: int = 4) -> torch.Tensor:
    """The test digit moved 5 px right and 4 px down: predict's conversion puts it back in the centre."""
    return torch.roll(digits(b), shifts=(4, 5), dims=(2, 3))


def test_user_path_is_what_predict_reads_from_a_png_file(tmp_path):
    x = off_centre(2)
    out = user_path(x, gen(0), dark_on_light=0.0)
    pixels = ((x[:, 0] * 0.3081 + 0.1307) * 255).round().to(torch.uint8).numpy()
    for i, digit in enumerate(pixels):
        path = tmp_path / f"{i}.png"
        Image.fromarray(digit).save(path)  # a user's file: the digit saved as a PNG
        assert np.array_equal(out[i].numpy(), normalise(load_user_image(path)))


def test_user_path_recentres_and_either_polarity_gives_the_same():
    x = off_centre(8)
    plain = user_path(x, gen(0), dark_on_light=0.0)
    inverted = user_path(x, gen(0), dark_on_light=1.0)
    assert torch.equal(plain, inverted)  # dark ink on white paper is inverted back by the conversion
    weights = (plain - IMAGE_BACKGROUND).clamp(min=0)[:, 0]
    rows = (weights.sum(-1) * torch.arange(28.0)).sum(-1) / weights.sum(dim=(1, 2))
    before = ((x - IMAGE_BACKGROUND).clamp(min=0)[:, 0].sum(-1) * torch.arange(28.0)).sum(-1) / weights.sum((1, 2))
    assert (rows - 14).abs().max() < 1 and (before - 14).abs().min() > 3
    assert plain.shape == x.shape and plain.dtype == x.dtype


def test_user_path_draws_polarity_from_the_generator():
    x = off_centre(4)
    assert torch.equal(user_path(x, gen(0)), user_path(x, gen(0)))


def test_blank_images_come_back_unchanged():
    blank = np.zeros((2, 28, 28), dtype=np.uint8)
    assert np.array_equal(convert_like_predict(blank), blank)


def test_user_size_reads_the_digit_as_predict_reads_it_enlarged(tmp_path):
    from digitfusion.training.augment.registry import USER_ENLARGE

    x = off_centre(3)
    out = user_path(x, gen(1), dark_on_light=0.0, enlarge=USER_ENLARGE)
    again = gen(1)
    torch.rand((3,), generator=again)  # the polarity draw
    scales = (USER_ENLARGE[0] + (USER_ENLARGE[1] - USER_ENLARGE[0]) * torch.rand((3,), generator=again)).numpy()
    pixels = ((x[:, 0] * 0.3081 + 0.1307) * 255).round().to(torch.uint8).numpy()
    for i, digit in enumerate(pixels):
        path = tmp_path / f"{i}.png"
        Image.fromarray(digit).resize((round(28 * scales[i]),) * 2, Image.Resampling.BILINEAR).save(path)
        assert np.array_equal(out[i].numpy(), normalise(load_user_image(path)))
    assert not torch.equal(out, user_path(x, gen(1), dark_on_light=0.0))  # the enlargement changes what it sees
