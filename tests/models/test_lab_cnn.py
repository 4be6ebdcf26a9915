import numpy as np
import soundfile as sf
import torch

from digitfusion.features.cache import load_features
from digitfusion.features.lab_mel import LabMelParams
from digitfusion.models.lab_cnn import (
    LAB_BATCH_SIZE,
    LAB_EPOCHS,
    LAB_OPTIMIZER,
    LabAudioCNN,
    LabStyleDataset,
    lab_flat_size,
    read_split_csv,
)
from tests.generate import tone


def test_shapes():
    model = LabAudioCNN()
    x = torch.randn(2, 1, 128, 241)
    assert model.feature_dim == 7220
    assert model.features(x).shape == (2, 7220)
    assert model(x).shape == (2, 10)


def test_parameter_count():
    expected = (10 * 1 * 49 + 10) + (10 * 10 * 25 + 10) + (7220 * 10 + 10)
    assert sum(p.numel() for p in LabAudioCNN().parameters()) == expected == 75220


def test_lab_flat_size_needs_a_much_larger_input():
    assert lab_flat_size(128, 241) == 7220
    assert lab_flat_size(1100, 1280) == lab_flat_size(1280, 1100) == 381910
    assert all(lab_flat_size(128, width) != 381910 for width in range(7, 20000))


def test_lab_training_constants():
    assert LAB_OPTIMIZER == {"name": "sgd", "lr": 1e-3, "momentum": 0.9}
    assert (LAB_EPOCHS, LAB_BATCH_SIZE) == (30, 32)


def test_overfits_one_batch_with_the_lab_optimiser():
    torch.manual_seed(0)
    model = LabAudioCNN()
    x, y = torch.randn(8, 1, 128, 241), torch.arange(8)
    opt = torch.optim.SGD(model.parameters(), lr=LAB_OPTIMIZER["lr"], momentum=LAB_OPTIMIZER["momentum"])
    first = None
    for _ in range(20):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        first = loss.item() if first is None else first
        loss.backward()
        opt.step()
    assert loss.item() < first / 2
    assert (model(x).argmax(dim=1) == y).all()


def write_folder(tmp_path, header: bool):
    (tmp_path / "wavs").mkdir()
    rows = []
    for digit in (2, 7, 9):
        sf.write(tmp_path / "wavs" / f"{digit}.wav", tone(digit, 0, 0), 8000, subtype="PCM_16")
        rows.append(f"wavs/{digit}.wav,{digit}")
    (tmp_path / "split.csv").write_text("\n".join((["path,label"] if header else []) + rows) + "\n")
    return tmp_path / "split.csv"


def test_csv_header_is_optional(tmp_path):
    with_header = read_split_csv(write_folder(tmp_path, header=True))
    (tmp_path / "plain.csv").write_text("wavs/2.wav,2\nwavs/7.wav,7\n")
    assert with_header[0] == ("wavs/2.wav", 2) and len(with_header) == 3
    assert read_split_csv(tmp_path / "plain.csv") == [("wavs/2.wav", 2), ("wavs/7.wav", 7)]


def test_lab_style_dataset_items(tmp_path):
    dataset = LabStyleDataset(write_folder(tmp_path, header=False), tmp_path)
    assert len(dataset) == 3
    features, label = dataset[1]
    assert features.shape == (1, 128, 241) and label == 7
    assert LabAudioCNN()(features[None]).shape == (1, 10)


def test_lab_style_dataset_equals_cached_features(tmp_path):
    dataset = LabStyleDataset(write_folder(tmp_path, header=True), tmp_path)
    cached = load_features(tmp_path, [path for path, _ in dataset.items], LabMelParams(), cache=tmp_path / "c")
    for i in range(len(dataset)):
        assert np.allclose(dataset[i][0].numpy(), cached.logmel[i], atol=1e-3)
