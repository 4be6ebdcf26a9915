"""The one recipe: `train`, `unimodal` and the pipeline ask for the same configs."""

import pytest

from digitfusion.cli import build_parser
from digitfusion.cli.train_cmds import recipe_from_args
from digitfusion.errors import DigitfusionError
from digitfusion.models.registry import fusion, fusion_names, model_names
from digitfusion.pipeline.configs import get_config
from digitfusion.pipeline.train_all import pipeline_recipe
from digitfusion.training.recipe import image_split, resolve


@pytest.mark.parametrize("model", model_names())
@pytest.mark.parametrize("size", ["tiny", "demo"])
def test_train_command_trains_what_the_pipeline_trains(model, size):
    args = build_parser().parse_args(["train", "--model", model, "--size", size, "--split", "speaker",
                                      "--holdout", "theo", "--seed", "1"])
    dirs = {"image": "x/image-cnn", "audio": "x/audio-cnn"}
    from_cli = recipe_from_args(args, model, init_dirs=dirs)
    from_pipeline = pipeline_recipe(get_config(size), "speaker:theo", 1)(model, init_dirs=dirs)
    assert from_cli.digest() == from_pipeline.digest()


def test_strategy_settings_and_sizes_come_from_the_registry():
    for name in fusion_names(trained=True):
        config = resolve(name, size="demo")
        for key, value in {**fusion(name).settings, **fusion(name).sizes.get("demo", {})}.items():
            assert getattr(config, key) == value, (name, key)


def test_an_image_model_ignores_the_speech_corpora_and_protocol():
    base = resolve("image-cnn", "official", 0, "demo")
    assert resolve("image-cnn", "speaker", 0, "demo", holdout="theo").digest() == base.digest()
    assert resolve("image-cnn", corpora=["fsdd", "speech-commands"]).digest() == base.digest()
    held_out = resolve("image-cnn", "leave-corpus-out", 0, "demo", images=["mnist", "optdigits"], holdout="optdigits")
    assert held_out.protocol == "leave-corpus-out" and held_out.digest() != base.digest()
    paired = resolve("image-cnn", "leave-corpus-out", 0, "demo", images=["mnist", "optdigits"],
                     holdout="speech-commands+optdigits")
    assert paired.digest() == held_out.digest()  # one image model for every speech corpus held out with optdigits
    assert image_split(paired) == "leave-corpus-out-optdigits" and image_split(base) == "official"


def test_an_audio_model_is_known_by_the_speech_corpus_held_out_alone():
    both = dict(corpora=["fsdd", "speech-commands"], images=["mnist", "optdigits"])
    alone = resolve("audio-cnn", "leave-corpus-out", 0, "demo", holdout="speech-commands", **both)
    paired = resolve("audio-cnn", "leave-corpus-out", 0, "demo", holdout="speech-commands+optdigits", **both)
    assert paired.holdout == "speech-commands" and paired.digest() == alone.digest()
    writers_only = resolve("audio-cnn", "leave-corpus-out", 0, "demo", holdout="optdigits", **both)
    assert (writers_only.protocol, writers_only.holdout) == ("official", None)


def test_corpus_and_front_end_are_part_of_an_audio_models_hash(monkeypatch):
    from digitfusion.features.mel import LogMelParams
    from digitfusion.training import config

    base = resolve("audio-cnn").digest()
    assert resolve("audio-cnn", corpora=["fsdd", "accented-numbers"]).digest() != base
    monkeypatch.setattr(config, "front_end_params", lambda features: LogMelParams(n_mels=40))
    assert resolve("audio-cnn").digest() != base  # a log-mel setting changed in code retrains


def test_late_rules_are_not_trained():
    with pytest.raises(DigitfusionError, match="fit on validation"):
        resolve(fusion_names(family="late")[0])


def test_intermediate_fusions_know_their_unimodal_runs_by_hash():
    name = fusion_names(family="intermediate")[0]
    config = resolve(name, init_dirs={"image": "a/image-cnn", "audio": "a/audio-cnn"})
    assert config.init_from["audio_config"] == resolve("audio-cnn").digest()
    gru = resolve(name, encoders={"audio": "audio-gru"}, init_dirs={"image": "a/image-cnn", "audio": "a/gru"})
    assert gru.encoders == {"audio": "audio-gru"} and gru.init_from["audio_config"] == resolve("audio-gru").digest()


def test_the_people_size_weighs_only_the_corpora_it_is_given():
    from digitfusion.training.recipe import PEOPLE_WEIGHTS, resolve

    mixed = resolve("audio-cnn", size="people", corpora=("fsdd", "synthetic"))
    assert mixed.corpus_weights == PEOPLE_WEIGHTS
    assert resolve("audio-cnn", size="people", corpora=("fsdd",)).corpus_weights == {}
    assert resolve("audio-cnn", size="people", corpora=("fsdd", "synthetic")).corpus_weights == PEOPLE_WEIGHTS


def test_a_fusion_reads_audio_through_its_audio_encoders_front_end():
    over_embedding = resolve("concat", encoders={"audio": "audio-embed"})
    assert over_embedding.features == "speech-embedding" and over_embedding.encoders == {"audio": "audio-embed"}
    assert resolve("concat").features == "logmel"
    assert resolve("early", encoders={"audio": "audio-embed"}).features == "logmel"  # one network over both inputs
    assert over_embedding.digest() != resolve("concat").digest()
    audio = resolve("audio-embed", size="people")
    # wave ops on cached copies of the clips (never per batch); the size's exposure
    assert audio.feature_copies == 4 and set(audio.augment_audio) == {"shift", "gain", "noise", "speed"}
    assert audio.outlier_exposure == 1.0
    assert over_embedding.feature_copies == 0  # a fusion augments per batch
