import numpy as np

from digitfusion.data.bundle import load_bundle
from digitfusion.data.pairs import fixed_pairs, read_manifest, split_images, train_pairs, write_manifest


def test_split_images_is_stratified_and_disjoint():
    labels = np.repeat(np.arange(10), 20)
    train, val = split_images(labels, 0.1, seed=0)
    assert not set(train) & set(val) and len(val) == 20
    assert np.bincount(labels[val]).tolist() == [2] * 10


def test_train_pairs_match_labels_and_change_every_epoch():
    image_labels = np.repeat(np.arange(10), 30)
    audio_labels = np.repeat(np.arange(10), 8)
    first = train_pairs(image_labels, audio_labels, seed=0, epoch=0)
    assert len(first) == 300 and sorted(first[:, 0]) == list(range(300))
    assert np.array_equal(image_labels[first[:, 0]], audio_labels[first[:, 1]])
    assert not np.array_equal(first, train_pairs(image_labels, audio_labels, seed=0, epoch=1))
    assert np.array_equal(first, train_pairs(image_labels, audio_labels, seed=0, epoch=0))


def test_fixed_pairs_and_manifest_round_trip(tmp_path):
    image_labels = np.repeat(np.arange(10), 5)
    audio_labels = np.tile(np.arange(10), 3)
    pairs = fixed_pairs(image_labels, audio_labels, seed=4)
    assert np.array_equal(pairs, fixed_pairs(image_labels, audio_labels, seed=4))
    paths = [f"a/{i}.wav" for i in pairs[:, 1]]
    write_manifest(tmp_path / "m.csv", pairs[:, 0], paths, image_labels)
    indices, read_paths, labels = read_manifest(tmp_path / "m.csv")
    assert np.array_equal(indices, pairs[:, 0]) and read_paths == paths and np.array_equal(labels, image_labels)


def test_no_test_item_ever_lands_in_a_training_pair(tiny_root):
    """Training pairs index the train side only; the train side shares no image or recording with test."""
    bundle = load_bundle(tiny_root, "official", seed=0)
    train, test = bundle["train"], bundle["test"]
    assert not set(train.audio_paths) & set(test.audio_paths)
    assert not set(bundle["val"].audio_paths) & set(test.audio_paths)
    train_image_ids = {("train", int(i)) for i in train.image_index}
    test_image_ids = {("test", int(i)) for i in test.image_index}
    val_image_ids = {("train", int(i)) for i in bundle["val"].image_index}
    assert not train_image_ids & val_image_ids and not train_image_ids & test_image_ids
    for epoch in range(20):
        pairs = train_pairs(train.image_labels.numpy(), train.audio_labels.numpy(), seed=0, epoch=epoch)
        assert pairs[:, 0].max() < len(train.images) and pairs[:, 1].max() < len(train.audio)
        used_audio = {train.audio_paths[i] for i in pairs[:, 1]}
        assert not used_audio & set(test.audio_paths)
        used_images = {("train", int(train.image_index[i])) for i in pairs[:, 0]}
        assert not used_images & (test_image_ids | val_image_ids)


def test_real_test_pairs_cover_every_test_image(real_root):
    bundle = load_bundle(real_root, "official", seed=0)
    test = bundle["test"]
    pairs = test.pairs(seed=0)
    assert len(pairs) == 10000 and len(set(pairs[:, 1])) == len(test.audio_paths) == 300
    assert np.array_equal(test.image_labels[pairs[:, 0]], test.audio_labels[pairs[:, 1]])
