import numpy as np
import pytest
import torch

from digitfusion.plots import save
from digitfusion.report.figures import bar_figure, confusion_figure, curve_figure, gallery_figure

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def saved_png(fig, tmp_path, name: str) -> bytes:
    path = tmp_path / f"{name}.png"
    save(fig, path)
    return path.read_bytes()[:8]


def test_curve_with_labelled_snr_axis(tmp_path):
    series = {"image": [0.99, 0.99, 0.99], "audio": [0.97, 0.8, None], "attention": [0.995, 0.99, 0.98]}
    fig = curve_figure([None, 20, 10], series, "SNR (dB)", "accuracy", "Accuracy vs SNR",
                       x_labels=["clean", "20", "10"])
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["clean", "20", "10"]
    assert len(fig.axes[0].lines) == 3
    assert saved_png(fig, tmp_path, "snr") == PNG_MAGIC


def test_curve_families_have_their_own_line_styles():
    names = ["image-only", "lab-cnn (audio)", "attention", "early", "late-product", "late-mean"]
    fig = curve_figure([0, 1], {n: [0.9, 0.8] for n in names}, "x", "accuracy", "t")
    styles = {line.get_label(): line.get_linestyle() for line in fig.axes[0].lines}
    assert styles == {"image-only": ":", "lab-cnn (audio)": ":", "attention": "-", "early": "-",
                      "late-product": "--", "late-mean": "--"}


def test_curve_labels_a_none_axis_itself(tmp_path):
    fig = curve_figure([None, 0, -5], {"late": [0.9, 0.6, 0.4]}, "SNR (dB)", "accuracy", "t")
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["clean", "0", "-5"]
    assert saved_png(fig, tmp_path, "none") == PNG_MAGIC


def test_curve_with_numeric_axis(tmp_path):
    fig = curve_figure([0.0, 0.25, 0.5], {"a": [0.99, 0.9, 0.7], "b": [0.98, 0.95, 0.9]}, "sigma", "accuracy", "t")
    assert list(fig.axes[0].lines[0].get_xdata()) == [0.0, 0.25, 0.5]
    assert saved_png(fig, tmp_path, "numeric") == PNG_MAGIC


@pytest.mark.parametrize("kind", ["tensor", "ndarray"])
def test_confusion_figure(tmp_path, kind):
    matrix = torch.eye(10, dtype=torch.int64) * 95 + 1
    fig = confusion_figure(matrix if kind == "tensor" else matrix.numpy(), "Confusion")
    assert len(fig.axes[0].texts) == 100
    assert fig.axes[0].get_xlabel() == "predicted" and fig.axes[0].get_ylabel() == "true"
    assert saved_png(fig, tmp_path, kind) == PNG_MAGIC


def test_gallery_figure(tmp_path):
    rng = np.random.default_rng(0)
    items = [
        {
            "image": rng.normal(size=(28, 28)).astype(np.float32),
            "logmel": rng.uniform(-80, 0, size=(64, 40)),
            "probs": {name: rng.dirichlet(np.ones(10)) for name in ("image", "audio", "fused")},
            "label": digit,
            "caption": f"example {digit}",
        }
        for digit in (0, 5, 9)
    ]
    fig = gallery_figure(items, "Gallery")
    assert len(fig.axes) == 9
    assert saved_png(fig, tmp_path, "gallery") == PNG_MAGIC


@pytest.mark.parametrize("errors", [None, [0.001, 0.002, 0.0]])
def test_bar_figure(tmp_path, errors):
    fig = bar_figure(["image", "audio", "late"], [0.991, 0.97, 0.995], errors, "accuracy", "Test accuracy")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["image", "audio", "late"]
    assert saved_png(fig, tmp_path, "bars") == PNG_MAGIC
