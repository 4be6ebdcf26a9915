"""Fault injection for the crash-and-resume tests: with DIGITFUSION_KILL_AT_STEP=N in the environment,
training sends itself SIGKILL after optimizer step N (a real, uncatchable kill, mid-epoch)."""

from __future__ import annotations

import os
import signal

import lightning as L

ENV = "DIGITFUSION_KILL_AT_STEP"


class KillAtStep(L.Callback):
    def __init__(self, step: int):
        self.step = step

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if trainer.global_step == self.step:
            os.kill(os.getpid(), signal.SIGKILL)


def fault_callbacks() -> list[L.Callback]:
    step = os.environ.get(ENV)
    return [KillAtStep(int(step))] if step else []
