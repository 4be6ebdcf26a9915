from digitfusion.runs import RunLayout


def test_layout_shares_the_image_model_and_keeps_the_rest_per_split(tmp_path):
    layout = RunLayout(tmp_path)
    assert layout.run_dir("image-cnn", 1, "speaker-theo", "image") == tmp_path / "seed1" / "image-cnn"
    assert layout.run_dir("audio-cnn", 1, "speaker-theo") == tmp_path / "seed1" / "speaker-theo" / "audio-cnn"
    held = layout.run_dir("image-cnn", 0, "leave-corpus-out-optdigits", "image", "leave-corpus-out-optdigits")
    assert held == tmp_path / "seed0" / "leave-corpus-out-optdigits-image-cnn"
    assert layout.evaluation_dir(0, "official") == tmp_path / "seed0" / "official" / "evaluation"
