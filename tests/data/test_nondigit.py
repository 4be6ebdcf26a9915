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


def test_extra_glyphs_are_drawn_only_with_fonts_that_hold_them(tmp_path, monkeypatch):
    monkeypatch.setitem(nondigit.SIZES, "training", (3, 40, 0, 0))
    items = nondigit.make_extra_glyphs(tmp_path, "ДΩב")
    assert [i.description.split()[0] for i in items] == ["'Д'", "'Ω'", "'ב'"] * 3
    fonts = {font.stem: font for font in nondigit.system_fonts(40)}
    for item in items:
        glyph, font = item.description[1], item.description.split()[1]
        assert nondigit.font_has(fonts[font], glyph), item.description
    drawn_with = {i.description.split()[1] for i in items if "'ב'" in i.description}
    assert len(drawn_with) == 3  # each render of a glyph goes to the next font that holds it
    assert not nondigit.font_has(fonts[font], "\ue000")  # a private-use character: no font draws it


def test_extra_glyphs_are_refused_when_a_half_or_a_digit_has_them_or_no_font_draws_them(tmp_path):
    import pytest

    from digitfusion.errors import DigitfusionError

    for glyphs, problem in (("Д7", "hold a digit or a glyph of the threshold or held-out half: 7"),
                            ("ДA", "half: A"), ("Д\ue000", "no installed font draws them")):
        with pytest.raises(DigitfusionError, match=problem):
            nondigit.make_extra_glyphs(tmp_path, glyphs)
