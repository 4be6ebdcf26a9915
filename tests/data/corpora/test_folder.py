import pytest

from digitfusion.data.bundle import load_bundle
from digitfusion.data.corpora import get_corpus
from digitfusion.errors import DigitfusionError
from tests.generate import tone
from tests.generate_corpora import write


def test_named_files_anywhere_and_digit_folders(tmp_path):
    user = tmp_path / "mine"
    write(user / "deep" / "3_me_0.wav", tone(3, 0, 0, 16000), 16000)
    write(user / "7" / "kid_a.wav", tone(7, 0, 0), 8000)
    write(user / "7" / "take.wav", tone(7, 0, 1), 8000)
    corpus = get_corpus(f"folder:{user}")
    recs = corpus.recordings(tmp_path / "data-root")
    assert sorted((r.digit, r.speaker, r.take) for r in recs) == [(3, "folder.me", 0), (7, "folder.kid", 0),
                                                                  (7, "folder.user", 1)]
    assert all(r.path.startswith(user.as_posix()) for r in recs)
    assert corpus.official(recs) == ([], [], recs)


def test_a_users_folder_mixes_into_a_bundle(tiny_root, tmp_path):
    for digit in range(10):
        write(tmp_path / "mine" / f"{digit}_me_0.wav", tone(digit, 1, 0), 8000)
    test = load_bundle(tiny_root, "official", corpora=("fsdd", f"folder:{tmp_path / 'mine'}"))["test"]
    assert sum(c == "folder" for c in test.audio_corpus) == 10 and "folder.me" in test.speakers


def test_empty_or_missing_folder_is_one_line(tmp_path):
    with pytest.raises(DigitfusionError, match="holds no"):
        get_corpus(f"folder:{tmp_path}").recordings(tmp_path)
    with pytest.raises(DigitfusionError, match="is not a folder"):
        get_corpus(f"folder:{tmp_path / 'nope'}").recordings(tmp_path)
    with pytest.raises(DigitfusionError, match="needs a path"):
        get_corpus("folder").recordings(tmp_path)
