"""The typicality statistics against scipy's Mahalanobis distance, and the exported calibration's choice."""

import json

import numpy as np
from scipy.spatial.distance import mahalanobis as scipy_mahalanobis

from digitfusion.decision import decode_matrix, encode_matrix, mahalanobis
from digitfusion.evaluation.abstention import TYPICAL_QUANTILES
from digitfusion.evaluation.typicality import RIDGE, class_statistics


def test_distance_matches_scipy_with_the_shared_covariance():
    rng = np.random.default_rng(1)
    labels = np.repeat(np.arange(10), 40)
    x = rng.normal(size=(400, 5)) @ rng.normal(size=(5, 5)) + rng.normal(size=(10, 5))[labels] * 3
    means = np.stack([x[labels == c].mean(0) for c in range(10)])
    centred = x - means[labels]
    cov = centred.T @ centred / len(x)
    cov += RIDGE * np.trace(cov) / 5 * np.eye(5)
    precision = np.linalg.inv(cov)
    queries = rng.normal(size=(7, 5)) * 4
    expected = [min(scipy_mahalanobis(q, m, precision) ** 2 for m in means) for q in queries]
    got = mahalanobis(queries, class_statistics(x, labels))
    np.testing.assert_allclose(got, expected, rtol=1e-4)


def test_matrices_round_trip_through_json_as_float32():
    m = np.arange(12, dtype=np.float64).reshape(3, 4) / 7
    back = decode_matrix(json.loads(json.dumps(encode_matrix(m))))
    assert back.shape == (3, 4) and np.allclose(back, m, rtol=1e-6)


def test_the_exported_threshold_is_one_of_the_candidates(tiny_model):
    cal = json.loads((tiny_model / "preprocessing.json").read_text())["abstention"]
    for kind in ("image", "audio"):
        typical = cal["typical"][kind]
        assert typical["quantile"] in TYPICAL_QUANTILES
        assert (typical["threshold"] is None) == (typical["quantile"] == 1.0)
        assert 0.0 <= typical["threshold half flagged"] <= 1.0
        assert decode_matrix(typical["means"]).shape[0] == 10
