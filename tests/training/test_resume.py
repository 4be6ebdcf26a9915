"""Crash and resume: a run killed with SIGKILL mid-epoch, resumed with --resume, ends exactly where an
uninterrupted run with the same seed ends (bit-identical weights and metrics on CPU)."""

import json
import os
import signal
import subprocess
import sys

from digitfusion.training.faults import ENV


def train(tiny_root, out, tmp_path, *extra, kill_at=None):
    env = {**os.environ, "DIGITFUSION_CACHE": str(tmp_path / "cache")}
    if kill_at is not None:
        env[ENV] = str(kill_at)
    command = [sys.executable, "-m", "digitfusion", "train", "--data", str(tiny_root), "--model", "audio-cnn",
               "--epochs", "3", "--batch-size", "16", "--out", str(out), *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)


RUN = ("seed0", "official", "audio-cnn")  # where `train --out DIR` puts the run (runs.RunLayout)


def test_killed_mid_epoch_then_resumed_matches_an_uninterrupted_run(tiny_root, tmp_path):
    whole = train(tiny_root, tmp_path / "whole", tmp_path)
    assert whole.returncode == 0, whole.stderr[-2000:]
    # tiny_root's official train side holds 80 clips: 5 steps per epoch. Step 8 is in the middle of epoch 2.
    killed = train(tiny_root, tmp_path / "resumed", tmp_path, kill_at=8)
    assert killed.returncode == -signal.SIGKILL
    assert tmp_path.joinpath("resumed", *RUN, "checkpoints", "last.ckpt").is_file()
    assert not tmp_path.joinpath("resumed", *RUN, "model.safetensors").exists()  # nothing final was written
    resumed = train(tiny_root, tmp_path / "resumed", tmp_path, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    a = json.loads(tmp_path.joinpath("whole", *RUN, "summary.json").read_text())
    b = json.loads(tmp_path.joinpath("resumed", *RUN, "summary.json").read_text())
    assert (a["val_loss"], a["val_acc"], a["best_epoch"]) == (b["val_loss"], b["val_acc"], b["best_epoch"])
    assert tmp_path.joinpath("whole", *RUN, "model.safetensors").read_bytes() == \
        tmp_path.joinpath("resumed", *RUN, "model.safetensors").read_bytes()


def test_resume_without_a_checkpoint_is_a_clear_error(tiny_root, tmp_path):
    run = train(tiny_root, tmp_path / "nothing", tmp_path, "--resume")
    assert run.returncode == 2 and "nothing to resume" in run.stderr and "Traceback" not in run.stderr
