import csv

import pytest

from digitfusion.data.corpora import CORPORA
from digitfusion.errors import DigitfusionError
from digitfusion.paths import cache_dir
from tests.generate_corpora import word_train, write

ACCENTED = CORPORA["accented-numbers"]


@pytest.fixture
def root(tmp_path):
    folder = tmp_path / "accented-numbers"
    rows = [("R_a", "5550123"), ("R_b", "98"), ("R_c", "1234")]
    for rid, number in rows:
        # R_c says only 3 of its 4 digits: its segment count cannot match, so it is dropped
        write(folder / "audio_data" / "Numbers" / f"{rid}.wav", word_train(number[:3] if rid == "R_c" else number,
                                                                         22050), 22050)
    with open(folder / "metadata.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Response_ID", "file_name", "Gender", "Number"])
        for rid, number in rows:
            writer.writerow([rid, f"audio_data/Names/{rid}.wav", "Female", number])
            writer.writerow([rid, f"audio_data/Numbers/{rid}.wav", "Female", number])
    return tmp_path


def test_recordings_are_cut_into_their_digits(root):
    recs = ACCENTED.recordings(root)
    assert [r.digit for r in sorted(recs, key=lambda r: (r.speaker, r.start))] == [5, 5, 5, 0, 1, 2, 3, 9, 8]
    assert {r.speaker for r in recs} == {"accented-numbers.R_a", "accented-numbers.R_b"}
    a = sorted((r for r in recs if r.speaker.endswith("R_a")), key=lambda r: r.start)
    assert all(x.end <= y.start for x, y in zip(a, a[1:], strict=False)) and a[0].key.endswith(f"#{a[0].start:.3f}"
                                                                                              f"-{a[0].end:.3f}")


def test_yield_is_reported_and_boundaries_are_cached(root):
    report = ACCENTED.yield_report(root)
    assert report == {"recordings": 3, "recordings_kept": 2, "digits_read": 13, "digits_kept": 9}
    row = ACCENTED.verify(root)
    assert row["clips"] == 9 and "kept 2/3 recordings (67%), 9/13 digits" in row["note"]
    assert list((cache_dir() / "segments").glob("accented-numbers-*.json"))


def test_missing_metadata_is_named(tmp_path):
    (tmp_path / "accented-numbers").mkdir()
    with pytest.raises(DigitfusionError, match="metadata.csv: missing"):
        ACCENTED.recordings(tmp_path)


@pytest.mark.integration
def test_real_segmentation_yield(real_root):
    report = ACCENTED.yield_report(real_root)
    assert report["recordings"] == 70 and report["digits_read"] == 685
    assert report["recordings_kept"] >= 25, report  # measured: 33 of 70 (325 of 685 digits)
    train, val, test = ACCENTED.official(ACCENTED.recordings(real_root))
    assert not ({r.speaker for r in train} & {r.speaker for r in test}) and val
