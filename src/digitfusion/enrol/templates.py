"""Word templates: a person's own recordings matched to a new one by dynamic time warping (numpy only).

The classic speaker-dependent recogniser, used here beside the model: each enrolled recording is kept as its
cepstral frames [T, 13] (features/cepstra.py); a query's distance to a digit is its DTW cost to the nearest
of that digit's templates, divided by the profile's own scale (the median cost between templates of
different digits), so one temperature and one gate fit every voice and microphone.

The same distance says whether the query sounds like the person at all: `closeness` is the query's smallest
scaled distance to any template (about 0.5 for the person's own words, about 1 for other people in
validation), and the templates' weight falls to 0 above `template_gate` (a logistic of width GATE_WIDTH), so
another person's recordings keep the model's answer.
"""

from __future__ import annotations

import numpy as np

N_CLASSES = 10
GATE_WIDTH = 0.005  # a nearly hard edge: 0.005-0.1 tried on the validation speakers, the sharpest did best
MAX_PAIRS = 2000  # DTW pairs computed at once: ~150 MB for 1 s words


def dtw_costs(queries: list[np.ndarray], templates: list[np.ndarray]) -> np.ndarray:
    """Every query [Tq, F] against every template [Tt, F] -> [Q, N] DTW cost over (Tq + Tt).

    Euclidean frame distances, steps (1, 1), (1, 0), (0, 1) of weight 1 (librosa.sequence.dtw's defaults;
    tests compare the two). Batched over all pairs: each row i of the cost grid is one numpy pass, the
    horizontal steps solved as a running minimum (C[i, j] = S[j] + min_{k<=j} (A[k] - S[k]) with S the
    cumulative frame distances of the row), so Q x N pairs cost about max(Tq) array operations; queries go in
    chunks of at most MAX_PAIRS pairs, which bounds memory (a [pairs, Tq, Tt] grid)."""
    step = max(1, MAX_PAIRS // len(templates))
    if len(queries) > step:
        return np.concatenate([dtw_costs(queries[i:i + step], templates) for i in range(0, len(queries), step)])
    q_len = np.array([len(q) for q in queries])
    t_len = np.array([len(t) for t in templates])
    qs, ts = padded(queries), padded(templates)
    squared = ((qs ** 2).sum(-1)[:, :, None, None] + (ts ** 2).sum(-1)[None, None, :, :]
               - 2 * np.einsum("qaf,nbf->qanb", qs, ts))
    n_q, n_t, width = len(queries), len(templates), ts.shape[1]
    # [Tq, Q * N, Tt]: row i of every pair's grid is one contiguous block
    local = np.sqrt(np.maximum(squared, 0.0)).transpose(1, 0, 2, 3).reshape(qs.shape[1], n_q * n_t, width)
    previous = np.full((n_q * n_t, width + 1), np.inf)  # row i - 1 of the grid, behind an inf column (j = -1)
    previous[:, 0] = 0.0  # so that row 0 starts at (0, 0): C[0, 0] = d[0, 0]
    arrive, running = np.empty((n_q * n_t, width)), np.empty((n_q * n_t, width))
    ends = np.empty((n_q, n_t))
    last_row = {i: np.flatnonzero(q_len - 1 == i) for i in np.unique(q_len - 1)}
    for i in range(qs.shape[1]):
        row_cost = local[i]
        np.minimum(previous[:, 1:], previous[:, :-1], out=arrive)  # from above or diagonally
        arrive += row_cost
        np.cumsum(row_cost, axis=-1, out=running)
        arrive -= running
        np.minimum.accumulate(arrive, axis=-1, out=arrive)
        arrive += running
        previous[:, 0] = np.inf
        previous[:, 1:] = arrive
        if i in last_row:
            done = last_row[i]
            ends[done] = arrive.reshape(n_q, n_t, width)[done][:, np.arange(n_t), t_len - 1]
    return ends / (q_len[:, None] + t_len[None, :])


def padded(sequences: list[np.ndarray]) -> np.ndarray:
    out = np.zeros((len(sequences), max(len(s) for s in sequences), sequences[0].shape[1]), np.float64)
    for i, s in enumerate(sequences):
        out[i, :len(s)] = s
    return out


def profile_scale(templates: list[np.ndarray], labels: np.ndarray) -> float | None:
    """The median DTW cost between the person's templates of different digits (None with a single digit)."""
    return median_between_digits(dtw_costs(templates, templates), labels)


def median_between_digits(costs: np.ndarray, labels: np.ndarray) -> float | None:
    """The median of a templates x templates cost matrix over pairs of different digits (None if no pair)."""
    different = labels[:, None] != labels[None, :]
    return float(np.median(costs[different])) if different.any() else None


def distances(templates: list[np.ndarray], labels: np.ndarray, scale: float, queries: list[np.ndarray]
              ) -> np.ndarray:
    """Each query's scaled distance to each digit [B, 10]: the nearest template of it (inf where none)."""
    return nearest_per_digit(dtw_costs(queries, templates) / scale, labels)


def nearest_per_digit(costs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Costs of queries to templates [B, N] with the templates' digits [N] -> [B, 10]: the nearest template of
    each digit (inf for a digit without one)."""
    out = np.full((len(costs), N_CLASSES), np.inf)
    for digit in np.unique(labels):
        out[:, digit] = costs[:, labels == digit].min(axis=1)
    return out


def gate_weight(closeness: np.ndarray, gate: float) -> np.ndarray:
    """[B] in (0, 1): near 1 for queries as close as the person's own words, fading to 0 past `gate`."""
    return 0.5 * (1 - np.tanh((closeness - gate) / (2 * GATE_WIDTH)))  # the logistic, without overflow
