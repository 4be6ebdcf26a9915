"""The same command and seed give byte-identical split files, pair manifests and metrics on CPU."""

import json

from digitfusion.cli import main
from digitfusion.data.bundle import load_bundle
from digitfusion.pipeline.train_all import write_protocol_files
from digitfusion.training.config import TrainConfig
from digitfusion.training.fit import fit


def read_all(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_split_command_is_byte_identical_for_a_seed(tiny_root, tmp_path):
    for out in ("a", "b", "c"):
        seed = "7" if out != "c" else "8"
        assert main(["split", "--data", str(tiny_root), "--split", "random", "--seed", seed,
                     "--out", str(tmp_path / out)]) == 0
    assert read_all(tmp_path / "a") == read_all(tmp_path / "b")
    assert read_all(tmp_path / "a")["test.csv"] != read_all(tmp_path / "c")["test.csv"]


def test_pair_manifests_are_byte_identical_for_a_seed(tiny_root, tmp_path):
    for out in ("a", "b"):
        write_protocol_files(load_bundle(tiny_root, "speaker", "bob", seed=3), 3, tmp_path / out)
    first, second = read_all(tmp_path / "a"), read_all(tmp_path / "b")
    assert first == second and {"val_pairs.csv", "test_pairs.csv"} <= set(first)


def test_fused_training_is_bit_identical_for_a_seed(tiny_root, tmp_path):
    """A fused model (pairs re-drawn per epoch, augmentation, modality dropout) trained twice."""
    config = TrainConfig(model="attention", modality="pair", epochs=2, batch_size=32, limit_train_batches=3,
                         limit_val_batches=2, modality_dropout=0.3, augment_image=["affine", "erasing"],
                         model_kwargs={"image": {"width": 8}, "audio": {"width": 8}})
    runs = [fit(config, tiny_root, tmp_path / name, progress=False) for name in ("a", "b")]
    assert runs[0]["config_hash"] == runs[1]["config_hash"] == config.digest()
    assert (tmp_path / "a" / "model.safetensors").read_bytes() == (tmp_path / "b" / "model.safetensors").read_bytes()
    history = [json.loads((tmp_path / n / "summary.json").read_text())["val_loss"] for n in ("a", "b")]
    assert history[0] == history[1]
