"""Every command's --help: each option explained with its default, and one example at the end."""

import argparse
import subprocess
import sys

import pytest

from digitfusion.cli import build_parser
from digitfusion.cli.help import EXAMPLES, subcommands

COMMANDS = subcommands(build_parser())
SILENT = (argparse._HelpAction, argparse._VersionAction)


def options(parser: argparse.ArgumentParser):
    return [a for a in parser._actions if a.option_strings and not isinstance(a, SILENT)]


def test_the_walk_finds_every_command():
    assert {"data fetch", "train", "demo", "unimodal", "predict", "app", "export"} <= set(COMMANDS)


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_each_option_has_help_and_shows_its_default(path):
    parser = COMMANDS[path]
    text = parser.format_help()
    for action in options(parser):
        assert action.help, f"{path} {action.option_strings[0]} has no help"
        # a switch (store_true) is off unless given
        flag_off = action.nargs == 0 and (action.default is None or action.default is False)
        if not flag_off:
            shown = parser.formatter_class(path)._get_help_string(action)
            assert "default" in shown, f"{path} {action.option_strings[0]}: help does not say its default"
    assert "(default: %(default)s)" not in text  # every placeholder was filled in


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_each_command_ends_with_an_example(path):
    help_text = COMMANDS[path].format_help().rstrip()
    assert path in EXAMPLES, f"{path} has no example"
    last_line = help_text.splitlines()[-1].strip()
    assert last_line == EXAMPLES[path] and last_line.startswith(f"digitfusion {path}")


def test_defaults_are_printed_with_their_values():
    help_text = COMMANDS["app"].format_help()
    assert "(default: 8000)" in help_text and "(default: auto)" in help_text


def test_training_commands_take_the_device_options():
    for path in ("train", "demo", "unimodal"):
        flags = {s for a in options(COMMANDS[path]) for s in a.option_strings}
        assert {"--accelerator", "--devices", "--num-nodes", "--precision", "--logger"} <= flags, path


def test_building_the_parser_reads_no_corpus():
    """Every command (predict too) builds the whole parser: it must not pay for importing the corpora and splits."""
    code = ("import sys; from digitfusion.cli import build_parser; build_parser(); print(sorted(m for m in "
            "sys.modules if m.startswith(('digitfusion.data.corpora', 'digitfusion.data.splits'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
