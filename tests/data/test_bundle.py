import numpy as np
import pytest

from digitfusion.data.bundle import load_bundle
from digitfusion.errors import DigitfusionError
from tests.generate_corpora import make_audiomnist, make_optdigits


def test_default_bundle_is_fsdd_and_mnist(tiny_root):
    bundle = load_bundle(tiny_root, "official", seed=0)
    train, test = bundle["train"], bundle["test"]
    assert set(train.audio_corpus) == {"fsdd"} and set(test.image_source) == {"mnist"}
    assert len(train.images) == 110 and len(bundle["val"].images) == 10 and len(test.images) == 60
    assert train.speakers[0].startswith("fsdd.") and len(test.speakers) == len(test.audio_paths) == 200


@pytest.fixture
def root_with_optdigits(tiny_root, tmp_path):
    """tiny_root's files, plus an optdigits folder (the session fixture itself stays untouched)."""
    for name in ("mnist", "fsdd"):
        (tmp_path / name).symlink_to(tiny_root / name)
    return make_optdigits(tmp_path, per_digit=10)


def test_optdigits_joins_the_image_train_and_val_sides(root_with_optdigits):
    bundle = load_bundle(root_with_optdigits, "official", images=("mnist", "optdigits"))
    train, val, test = bundle["train"], bundle["val"], bundle["test"]
    assert train.image_source.count("optdigits") == 90 and val.image_source.count("optdigits") == 10
    assert set(test.image_source) == {"mnist"} and len(train.images) == len(train.image_labels) == 200
    assert np.array_equal(np.bincount(val.image_labels[-10:].numpy()), np.ones(10))  # its own stratified cut


def test_leave_corpus_out_on_an_image_source_tests_on_it(root_with_optdigits):
    bundle = load_bundle(root_with_optdigits, "leave-corpus-out", holdout="optdigits", images=("mnist", "optdigits"))
    assert set(bundle["test"].image_source) == {"optdigits"} and len(bundle["test"].images) == 100
    assert set(bundle["train"].image_source) == {"mnist"}
    assert bundle.split.protocol == "official"  # the audio side follows each corpus's official split
    assert bundle.split.name == "leave-corpus-out-optdigits"  # its own folder, not the official split's


def test_a_speech_corpus_and_an_image_source_held_out_together(root_with_optdigits):
    make_audiomnist(root_with_optdigits, speakers=3, takes=1)
    both = dict(corpora=("fsdd", "audiomnist"), images=("mnist", "optdigits"))
    bundle = load_bundle(root_with_optdigits, "leave-corpus-out", holdout="audiomnist+optdigits", **both)
    assert set(bundle["test"].audio_corpus) == {"audiomnist"} and set(bundle["test"].image_source) == {"optdigits"}
    assert set(bundle["train"].audio_corpus) == {"fsdd"} and set(bundle["train"].image_source) == {"mnist"}
    assert bundle.split.name == "leave-corpus-out-audiomnist+optdigits"
    with pytest.raises(DigitfusionError, match="at most one speech corpus and one image source"):
        load_bundle(root_with_optdigits, "leave-corpus-out", holdout="mnist+optdigits", **both)


@pytest.mark.integration
def test_real_mixture_counts_each_corpus(real_root):
    bundle = load_bundle(real_root, "leave-corpus-out", holdout="speech-commands",
                         corpora=("fsdd", "speech-commands"))
    assert set(bundle["test"].audio_corpus) == {"speech-commands"} and len(bundle["test"].audio) == 100
    assert set(bundle["train"].audio_corpus) == {"fsdd"} and bundle["test"].audio.shape[1:] == (1, 64, 101)
