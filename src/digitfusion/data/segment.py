"""Cut a recording into words at its silences: frame energy (RMS in dB over 25 ms frames, 10 ms hop),
a threshold between the recording's own background and loudest frames, short gaps bridged, short blips dropped.

Used where the words are not one per file: fsdd-jason (takes that are fixed windows of one long recording)
and accented-numbers (connected digits). Boundaries are seconds into the signal given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SegmentParams:
    frame_s: float = 0.025
    hop_s: float = 0.010
    noise_percentile: float = 20.0  # the quiet frames that tell the background level (words fill < 80 %)
    rise: float = 0.4  # speech = louder than background + rise x (loudest 1 % - background), in dB
    min_gap_s: float = 0.10  # pauses shorter than this stay inside a word (stops, the gap in "six")
    min_word_s: float = 0.12  # louder stretches shorter than this are clicks or breaths
    margin_s: float = 0.05  # kept either side of each word, as trim_silence keeps


def frame_db(wave: np.ndarray, rate: int, params: SegmentParams) -> np.ndarray:
    """RMS level in dB of each frame [F] of `wave` [N]."""
    frame, hop = int(params.frame_s * rate), int(params.hop_s * rate)
    if len(wave) < frame:
        return np.full(1, -120.0)
    n = 1 + (len(wave) - frame) // hop
    idx = np.arange(frame)[None, :] + hop * np.arange(n)[:, None]
    return 10 * np.log10(np.mean(wave[idx].astype(np.float64) ** 2, axis=1) + 1e-12)


def segments(wave: np.ndarray, rate: int, params: SegmentParams | None = None) -> list[tuple[float, float]]:
    """(start, end) in seconds of each word of `wave` [N], in order."""
    params = params or SegmentParams()
    level = frame_db(wave, rate, params)
    background, peak = np.percentile(level, [params.noise_percentile, 99])
    loud = level > background + params.rise * (peak - background)
    runs = _runs(loud)
    hop, frame = params.hop_s, params.frame_s
    merged: list[list[int]] = []
    for first, last in runs:
        if merged and (first - merged[-1][1]) * hop < params.min_gap_s:
            merged[-1][1] = last
        else:
            merged.append([first, last])
    duration = len(wave) / rate
    words = []
    for first, last in merged:
        if (last - first) * hop + frame < params.min_word_s:
            continue
        start = max(0.0, first * hop - params.margin_s)
        end = min(duration, last * hop + frame + params.margin_s)
        words.append((round(start, 4), round(end, 4)))
    return words


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) frame index of each run of True in `mask`."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), (np.flatnonzero(edges == -1) - 1).tolist(), strict=True))
