"""Conventional --help for every command: each option's default shown, and one example at the end."""

from __future__ import annotations

import argparse

# One runnable example per command, by its path under `digitfusion` (a test keeps this complete).
EXAMPLES = {
    "data fetch": "digitfusion data fetch --data data",
    "data verify": "digitfusion data verify --data ../shared/data",
    "data stats": "digitfusion data stats --split speaker --holdout theo",
    "split": "digitfusion split --split leave-corpus-out --corpus fsdd,speech-commands --holdout speech-commands",
    "features": "digitfusion features --corpus fsdd,speech-commands",
    "show": "digitfusion show data/fsdd/recordings/7_theo_0.wav --out seven.png",
    "train": "digitfusion train --model attention --corpus fsdd,accented-numbers --accelerator auto --epochs 10",
    "demo": "digitfusion demo --config tiny --accelerator cpu --precision 32-true",
    "evaluate": "digitfusion evaluate --config demo --out runs/demo",
    "unimodal": "digitfusion unimodal --config full --accelerator gpu --precision bf16-mixed",
    "export": "digitfusion export --run runs/demo --out model --fusion attention",
    "predict": "digitfusion predict --image seven.png --audio seven.wav --json",
    "check-inputs": "digitfusion check-inputs --model model --per-digit 4",
    "app": "digitfusion app --port 8080 --provider cpu",
}


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Appends `(default: X)` to an option's help unless its help already states the default; an option whose
    default is None (or a flag off by default) must say in its help what happens without it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        unset = action.default is None or action.default is False or action.default == argparse.SUPPRESS
        shown = action.option_strings and not unset
        if shown and "default" not in text:
            text += " (default: %(default)s)"
        return text


def subcommands(parser: argparse.ArgumentParser, prefix: str = "") -> dict[str, argparse.ArgumentParser]:
    """Every leaf sub-command's parser by its path ('data fetch', 'train', ...)."""
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                path = f"{prefix} {name}".strip()
                found.update(subcommands(sub, path) or {path: sub})
    return found


def finish(parser: argparse.ArgumentParser) -> None:
    """Give every command the formatter and its example (commands without one keep none: the test says so)."""
    for path, sub in subcommands(parser).items():
        sub.formatter_class = HelpFormatter
        if path in EXAMPLES:
            sub.epilog = f"example:\n  {EXAMPLES[path]}"
