import subprocess
import sys

import pytest

from digitfusion.cli import main


def test_split_writes_csvs_and_prints_speakers(tiny_root, tmp_path, capsys):
    assert main(["split", "--data", str(tiny_root), "--split", "speaker", "--holdout", "bob",
                 "--out", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert "bob" in out and "speakers in both train and test: none" in out
    assert {p.name for p in (tmp_path / "s").iterdir()} == {"train.csv", "val.csv", "test.csv", "speakers.txt",
                                                          "split.json"}


def test_stats_prints_counts_per_side(tiny_root, capsys):
    assert main(["data", "stats", "--data", str(tiny_root), "--split", "random"]) == 0
    out = capsys.readouterr().out
    assert "train set" in out and "test set: 120 recordings" in out and "proportion" in out


def test_features_twice_reads_cache(tiny_root, capsys):
    main(["features", "--data", str(tiny_root)])
    main(["features", "--data", str(tiny_root)])
    lines = capsys.readouterr().out.splitlines()
    assert "computed and cached" in lines[0] and "read from cache" in lines[1]


def test_show_draws_a_png(tiny_root, tmp_path, capsys):
    wav = next((tiny_root / "fsdd" / "recordings").glob("*.wav"))
    assert main(["show", str(wav), "--out", str(tmp_path / "fig.png")]) == 0
    assert (tmp_path / "fig.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Sample rate: 8000 Hz" in capsys.readouterr().out


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "bad.wav").write_text("not audio")
    run = subprocess.run([sys.executable, "-m", "digitfusion", "show", str(tmp_path / "bad.wav"),
                          "--out", str(tmp_path / "f.png")], capture_output=True, text=True)
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and "bad.wav" in run.stderr
    assert "Traceback" not in run.stderr and not (tmp_path / "f.png").exists()


def test_wrong_data_root_is_named(tmp_path, capsys):
    assert main(["split", "--data", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_unknown_option_exits_2():
    with pytest.raises(SystemExit) as exit_info:
        main(["split", "--strategy", "official"])  # the protocol option is --split
    assert exit_info.value.code == 2


@pytest.mark.parametrize(("argv", "message"), [
    (["split", "--split", "kfold"], "kfold: unknown split protocol (choose from random, official, speaker"),
    (["split", "--corpus", "fsdd,nope"], "nope: unknown corpus (choose from accented-numbers, audiomnist"),
    (["split", "--images", "emnist"], "emnist: unknown image source (choose from mnist, optdigits)"),
    (["data", "fetch", "--corpus", "nope"], "nope: unknown corpus or image source (choose from")])
def test_bad_names_are_one_line_listing_the_known_ones(tiny_root, tmp_path, capsys, argv, message):
    assert main([*argv, "--data", str(tmp_path / "d")] if argv[0] == "data" else [*argv, "--data", str(tiny_root)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not (tmp_path / "d").exists()


def test_split_of_a_mixture_writes_corpus_and_speaker_columns(tiny_root, tmp_path, capsys):
    for digit in range(10):
        (tmp_path / "mine").mkdir(exist_ok=True)
        (tmp_path / "mine" / f"{digit}_me_0.wav").write_bytes(
            next((tiny_root / "fsdd" / "recordings").glob(f"{digit}_alice_0.wav")).read_bytes())
    argv = ["split", "--data", str(tiny_root), "--split", "leave-corpus-out", "--holdout", "folder",
            "--corpus", f"fsdd,folder:{tmp_path}/mine", "--out", str(tmp_path / "s")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "leave-corpus-out-folder: train" in out and "test: 10 folder" in out
    header, first = (tmp_path / "s" / "test.csv").read_text().splitlines()[:2]
    assert header == "path,label,corpus,speaker,start,end" and ",folder,folder.me,," in first


def test_verify_lists_and_times(tiny_root, capsys):
    assert main(["data", "verify", "--data", str(tiny_root)]) == 0
    out = capsys.readouterr().out
    assert "fsdd" in out and "verified in" in out and "unknown md5" in out  # generated MNIST files: named, not fatal


@pytest.mark.integration
def test_real_leave_corpus_out_split(real_root, tmp_path, capsys):
    assert main(["split", "--data", str(real_root), "--split", "leave-corpus-out", "--corpus", "fsdd,speech-commands",
                 "--holdout", "speech-commands", "--out", str(tmp_path / "s")]) == 0
    assert "test: 100 speech-commands" in capsys.readouterr().out
    assert len((tmp_path / "s" / "test.csv").read_text().splitlines()) == 101


def test_cli_model_names_match_the_registry():
    pass


def test_cli_choices_come_from_the_registry():
    from digitfusion.cli import build_parser
    from digitfusion.models.registry import fusion_names, model_names

    commands = build_parser()._subparsers._group_actions[0].choices
    train = {a.dest: a for a in commands["train"]._actions}
    export = {a.dest: a for a in commands["export"]._actions}
    assert list(train["model"].choices) == model_names()
    assert list(export["fusion"].choices) == fusion_names(trained=True)


def test_building_the_parser_imports_no_torch():
    """`predict` builds the whole parser: the registry's choices must stay lazy (base install has no torch)."""
    import subprocess
    import sys

    code = "import sys; from digitfusion.cli import build_parser; build_parser(); print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
