import pytest

from digitfusion.data.protocols import holdout_parts
from digitfusion.errors import DigitfusionError


def test_a_holdout_names_a_speech_corpus_an_image_source_or_one_of_each():
    images = ["mnist", "optdigits"]
    assert holdout_parts("speech-commands+optdigits", images) == ("speech-commands", "optdigits")
    assert holdout_parts("optdigits", images) == (None, "optdigits")
    assert holdout_parts("speech-commands", images) == ("speech-commands", None)
    assert holdout_parts(None, images) == (None, None)


def test_a_holdout_of_two_speech_corpora_is_refused():
    with pytest.raises(DigitfusionError, match="at most one speech corpus"):
        holdout_parts("speech-commands+accented-numbers", ["mnist"])
