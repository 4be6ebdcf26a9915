import soundfile as sf

from digitfusion.data import nondigit
from digitfusion.data.nondigit import GLYPHS, SYLLABLES, VOICES, WORDS, make_audio, make_images
from digitfusion.features.mel import LogMelParams
from digitfusion.inputs import prepare_audio, prepare_image


def test_halves_share_no_word_letter_or_voice():
    for table in (GLYPHS, WORDS, SYLLABLES, VOICES):
        assert not set(table["threshold"]) & set(table["held-out"])


def test_halves_share_no_accent_or_voice_variant():
    def parts(half):
        bases = {v.split("+")[0] for v in VOICES[half]} - {"en"}  # "en": espeak-ng's default accent, a variant's base
        return bases, {v.split("+")[1] for v in VOICES[half] if "+" in v}

    (threshold_bases, threshold_variants), (held_bases, held_variants) = parts("threshold"), parts("held-out")
    assert not threshold_bases & held_bases and not threshold_variants & held_variants


def test_the_training_part_shares_nothing_with_the_halves_and_no_digit_word():
    for table in (GLYPHS, WORDS, SYLLABLES, VOICES):
        for half in nondigit.HALVES:
            assert not set(table["training"]) & set(table[half])
    assert not set(WORDS["training"]) & set(nondigit.DIGIT_WORDS)
    assert not set(GLYPHS["training"]) & set("0123456789")


def test_non_digit_set_goes_through_the_input_pipeline(tmp_path):
    images = make_images(tmp_path, "held-out", per_kind=2)
    audio = make_audio(tmp_path, "held-out", per_kind=2)
    assert {i.kind for i in images} == {"letter", "scribble", "specks", "texture"}
    assert {a.kind for a in audio} == {"word", "syllable", "fragment", "noise", "tone", "empty"}
    for item in images:
        assert prepare_image(item.path).shape == (1, 28, 28), item.description
    for item in audio:
        assert sf.info(str(item.path)).samplerate == 16000
        assert prepare_audio(item.path, LogMelParams()).shape == (8000,), item.description
