"""The registry finds every corpus module by itself; a corpus defined elsewhere (here, in this test) registers
and loads through the same path as the built-in ones: the recipe "add a corpus = one file + its test"."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from digitfusion.data import corpora
from digitfusion.data.bundle import load_bundle
from digitfusion.data.corpora import CORPORA, Recording, SpeechCorpus, get_corpus, parse_corpora, parse_name
from digitfusion.data.corpora._base import by_take, speaker_disjoint
from digitfusion.errors import DigitfusionError
from tests.generate import tone
from tests.generate_corpora import write

BUILT_IN = {"accented-numbers", "audiomnist", "folder", "fsdd", "fsdd-jason", "outside-voices", "speech-commands"}


def test_every_corpus_module_is_registered_with_its_facts():
    assert set(CORPORA) >= BUILT_IN
    for name, corpus in CORPORA.items():
        assert corpus.name == name and corpus.licence and corpus.citation and corpus.url


def test_parse_names():
    assert parse_name("7_jackson_32.wav") == (7, "jackson", 32)
    assert parse_name("3_05_12.wav") == (3, "05", 12)
    assert parse_name("notes.wav") is None


def test_corpus_lists_are_validated_with_the_known_names():
    assert parse_corpora("fsdd, speech-commands,fsdd") == ("fsdd", "speech-commands")
    with pytest.raises(DigitfusionError, match=r"^nope: unknown corpus \(choose from accented-numbers, audiomnist"):
        parse_corpora("fsdd,nope")
    with pytest.raises(DigitfusionError, match="names no corpus"):
        parse_corpora(" , ")
    assert get_corpus("folder:/tmp").location == Path("/tmp").resolve()


def test_speaker_disjoint_official_is_deterministic_and_disjoint():
    recs = [Recording(f"x/{s}_{t}.wav", t % 10, f"x.s{s}", t, "x") for s in range(20) for t in range(3)]
    train, val, test = speaker_disjoint(recs)
    spk = [{r.speaker for r in side} for side in (train, val, test)]
    assert (len(spk[0]), len(spk[1]), len(spk[2])) == (14, 2, 4) and not (spk[0] & spk[2]) and not (spk[1] & spk[2])
    assert speaker_disjoint(list(reversed(recs)))[2] == [r for r in reversed(recs) if r.speaker in spk[2]]


@dataclass(frozen=True)
class Hums(SpeechCorpus):
    """The test-only example corpus: `hums/{speaker}/{digit}-{take}.flac`."""

    def recordings(self, root):
        return sorted(Recording(p.relative_to(root).as_posix(), int(p.stem[0]), self.speaker(p.parent.name),
                                int(p.stem[2:]), self.name) for p in self.folder(root).glob("*/*.flac"))

    def official(self, recordings):
        return by_take(recordings, test_below=1, val_below=2)


@pytest.fixture
def hums(tiny_root, monkeypatch):
    monkeypatch.setitem(CORPORA, "hums", None)  # undone after the test
    corpus = corpora.register(Hums(name="hums", licence="CC0", citation="this test", url="-"))
    for speaker in ("ann", "ben"):
        for digit in range(10):
            for take in range(3):
                write(tiny_root / "hums" / speaker / f"{digit}-{take}.flac", tone(digit, 5, take, 16000), 16000,
                      subtype="PCM_16")
    return corpus


def test_an_example_corpus_registers_mixes_and_loads(hums, tiny_root):
    assert parse_corpora("fsdd,hums") == ("fsdd", "hums")
    bundle = load_bundle(tiny_root, "official", corpora=("fsdd", "hums"))
    test = bundle["test"]
    assert set(test.audio_corpus) == {"fsdd", "hums"} and "hums.ann" in test.speakers
    assert sum(c == "hums" for c in test.audio_corpus) == 20  # take 0 of 2 speakers x 10 digits
    assert test.audio.shape[1:] == (1, 64, 101) and np.isfinite(test.audio.numpy()).all()
    lco = load_bundle(tiny_root, "leave-corpus-out", holdout="hums", corpora=("fsdd", "hums"))
    assert set(lco["test"].audio_corpus) == {"hums"} and set(lco["train"].audio_corpus) == {"fsdd"}
