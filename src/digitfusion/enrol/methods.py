"""How a person's enrolment examples change an answer (numpy only; no training on the user's machine).

Every method scores each *enrolled* digit by how close a query embedding [B, D] is to that person's examples
of it (embeddings [N, D], labels [N]), then `combine` mixes those scores with the base model's logits:
within the enrolled digits E, log q = (1 - weight) * log p_base + weight * log softmax_E(scores / temperature);
the digits outside E keep exactly the base probabilities (and E as a whole keeps its base mass), so a
digit the person did not enrol answers as before.

Methods (compared in bench/bench_enrol.py, parameters chosen on validation speakers):
  prototypes  cosine similarity to the mean of each digit's examples
  knn         cosine similarity to the nearest example of each digit
  ridge       a linear head fit in closed form (ridge regression on one-hot targets) on the examples
Embeddings are L2-normalised; with `centre`, the mean of the person's own examples is removed first
(a per-user feature normalisation: what all of a voice's words share is the voice, not the word).

Gate (`gate`, None = off): another person's input should keep the base answer. A query adapts only when it is
close to the person: its mean cosine to their examples, divided by the examples' own mean pairwise cosine (the
ratio is near 1 for the person's own words, whatever the model's embedding scale), is at least `gate`; other
queries keep exactly the base model's probabilities. The threshold is chosen on validation speakers: their own
other takes against other people's clips (bench/bench_enrol.py).

Templates (audio, `template_weight` > 0; enrol/templates.py): the person's recordings themselves, matched to the
query by dynamic time warping on cepstral frames. Their per-digit distances are mixed in after the embedding
method, the same way (within the enrolled digits, base mass kept), only for queries that sound like the person:
the weight drops to 0 past `template_gate` (templates.gate_weight).

Voice gate (`voice_gate`, audio with templates): the same DTW distance then also gates the embedding method in
place of `gate`: a query adapts only when its nearest template is within `voice_gate`. The templates tell a
person's voice from other people's far better than the embeddings do (the model learnt to ignore voices): on the
validation speakers of the six leave-one-speaker-out folds, own takes against other people's clips, area under
the ROC curve 0.91-1.00 for the DTW distance, 0.50-0.73 for the embedding closeness (k = 1 and 3; measured with
the log-mel audio CNN; the bench keeps choosing between the gates for the shipped model, now the speech embedding).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from digitfusion.enrol import templates

N_CLASSES = 10
METHODS = ("prototypes", "knn", "ridge")
RIDGE_LAMBDA = 0.1


@dataclass(frozen=True)
class MethodParams:
    name: str = "prototypes"
    weight: float = 0.5  # 0 = the base model alone, 1 = the enrolment scores alone (within the enrolled digits)
    temperature: float = 0.1
    centre: bool = True
    gate: float | None = None  # closeness ratio a query needs to be adapted (None: every query is)
    template_weight: float = 0.0  # weight of the person's recordings as DTW templates (0 = not used)
    template_temperature: float = 0.1
    template_gate: float = 0.6  # scaled DTW distance past which a query stops sounding like the person
    voice_gate: float | None = None  # with templates: scaled DTW distance that gates the embedding method

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Bank:
    """One modality's enrolment examples: embeddings [N, D] and their digits [N]."""

    embeddings: np.ndarray
    labels: np.ndarray
    sequences: list[np.ndarray] | None = None  # audio: each example's cepstral frames [T, 13] (templates)
    cache: dict = field(default_factory=dict, repr=False, compare=False)  # per-bank results (ridge coefficients)

    @property
    def enrolled(self) -> np.ndarray:
        """[10] bool: digits with at least one example."""
        return np.bincount(self.labels, minlength=N_CLASSES)[:N_CLASSES] > 0

    def prepared(self, queries: np.ndarray, centre: bool) -> tuple[np.ndarray, np.ndarray]:
        """(examples [N, D], queries [B, D]), centred on the examples' mean if asked, then L2-normalised."""
        examples, queries = self.embeddings.astype(np.float64), queries.astype(np.float64)
        if centre:
            mean = examples.mean(axis=0, keepdims=True)
            examples, queries = examples - mean, queries - mean
        return unit(examples), unit(queries)


def closeness(bank: Bank, queries: np.ndarray) -> np.ndarray:
    """How much each query [B, D] sounds (or looks) like the person -> [B]: mean cosine to their examples over
    the examples' mean pairwise cosine (raw embeddings; 1 stands in for the latter with a single example)."""
    examples = unit(bank.embeddings.astype(np.float64))
    n = len(examples)
    own = (examples @ examples.T)[~np.eye(n, dtype=bool)].mean() if n > 1 else 1.0
    return (unit(queries.astype(np.float64)) @ examples.T).mean(axis=1) / max(float(own), 1e-8)


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-8)


def scores(bank: Bank, queries: np.ndarray, params: MethodParams) -> np.ndarray:
    """Similarity of each query [B, D] to each enrolled digit -> [B, 10] (-inf where a digit is not enrolled)."""
    examples, queries = bank.prepared(queries, params.centre)
    out = np.full((len(queries), N_CLASSES), -np.inf)
    digits = np.flatnonzero(bank.enrolled)
    if params.name == "prototypes":
        prototypes = unit(np.stack([examples[bank.labels == d].mean(axis=0) for d in digits]))
        out[:, digits] = queries @ prototypes.T
    elif params.name == "knn":
        similarity = queries @ examples.T  # [B, N]
        out[:, digits] = np.stack([similarity[:, bank.labels == d].max(axis=1) for d in digits], axis=1)
    elif params.name == "ridge":
        out[:, digits] = (queries @ examples.T) @ ridge_coefficients(bank, examples, digits, params.centre)
    else:
        raise ValueError(f"unknown enrolment method {params.name!r} (choose from {', '.join(METHODS)})")
    return out


def ridge_coefficients(bank: Bank, examples: np.ndarray, digits: np.ndarray, centre: bool) -> np.ndarray:
    """Ridge regression of one-hot digits on the examples, in its dual form -> [N, |E|]: the head
    (X^T X + l I)^-1 X^T Y equals X^T (X X^T + l I)^-1 Y, so an N x N system (N = the person's few examples)
    is solved instead of a D x D one, once per bank (cached): answering a query is then two small products."""
    key = ("ridge", centre)
    if key not in bank.cache:
        targets = (bank.labels[:, None] == digits[None, :]).astype(np.float64)  # [N, |E|]
        bank.cache[key] = np.linalg.solve(examples @ examples.T + RIDGE_LAMBDA * np.eye(len(examples)), targets)
    return bank.cache[key]


def log_softmax(x: np.ndarray) -> np.ndarray:
    finite = np.where(np.isfinite(x), x, -np.inf)
    top = finite.max(axis=-1, keepdims=True)
    return finite - top - np.log(np.exp(finite - top).sum(axis=-1, keepdims=True))


def combine(base_logits: np.ndarray, enrol_scores: np.ndarray, params: MethodParams) -> np.ndarray:
    """Base logits [B, 10] + enrolment scores [B, 10] (-inf = not enrolled) -> adapted log-probabilities [B, 10]."""
    enrolled = np.isfinite(enrol_scores[0]) if len(enrol_scores) else np.zeros(N_CLASSES, bool)
    log_base = log_softmax(base_logits.astype(np.float64))
    if not enrolled.any():
        return log_base
    inside = log_base[:, enrolled]
    mass = np.logaddexp.reduce(inside, axis=1, keepdims=True)  # log p_base(E)
    mixed = (1 - params.weight) * (inside - mass) + params.weight * log_softmax(enrol_scores[:, enrolled]
                                                                                / params.temperature)
    out = log_base.copy()
    out[:, enrolled] = log_softmax(mixed) + mass
    return out


def gated(base_logits: np.ndarray, adapted: np.ndarray, close: np.ndarray, gate: float | None) -> np.ndarray:
    """Adapted log-probabilities [B, 10] where closeness [B] >= gate, the base model's elsewhere."""
    if gate is None:
        return adapted
    return np.where((close >= gate)[:, None], adapted, log_softmax(base_logits.astype(np.float64)))


def template_scale(bank: Bank) -> float | None:
    """The person's DTW scale (templates.profile_scale), computed once per bank."""
    if "scale" not in bank.cache:
        bank.cache["scale"] = templates.profile_scale(bank.sequences, bank.labels)
    return bank.cache["scale"]


def with_templates(log_probs: np.ndarray, distances: np.ndarray, params: MethodParams) -> np.ndarray:
    """Log-probabilities [B, 10] + scaled DTW distances [B, 10] (inf = not enrolled) -> log-probabilities:
    within the enrolled digits, log q = log p + w(query) * log softmax(-distance / template_temperature),
    w = template_weight gated by the query's closeness (its smallest distance); base mass of E kept."""
    enrolled = np.isfinite(distances[0])
    if not enrolled.any():
        return log_probs
    weight = params.template_weight * templates.gate_weight(distances.min(axis=1), params.template_gate)
    inside = log_probs[:, enrolled]
    mass = np.logaddexp.reduce(inside, axis=1, keepdims=True)
    evidence = log_softmax(-distances[:, enrolled] / params.template_temperature)
    out = log_probs.copy()
    out[:, enrolled] = log_softmax(inside - mass + weight[:, None] * evidence) + mass
    return out


def uses_templates(bank: Bank, params: MethodParams) -> bool:
    """Whether a query's template distances can change this bank's answers (switched on, templates kept, and
    at least two digits enrolled: else there is no scale)."""
    return bool(params.template_weight and bank.sequences and template_scale(bank))


def template_distances(bank: Bank, params: MethodParams, query_sequences: list[np.ndarray] | None
                       ) -> np.ndarray | None:
    """The queries' scaled DTW distances to the person's digits [B, 10], or None when templates do not apply
    (`uses_templates`, or no query frames)."""
    if query_sequences is None or not uses_templates(bank, params):
        return None
    return templates.distances(bank.sequences, bank.labels, template_scale(bank), query_sequences)


def adapt(base_logits: np.ndarray, queries: np.ndarray, bank: Bank, params: MethodParams,
          found: np.ndarray | None = None) -> np.ndarray:
    """The whole method: base logits [B, 10], query embeddings [B, D] (and the queries' template distances
    from `template_distances`, if any) -> adapted log-probabilities [B, 10]."""
    adapted = embedded(base_logits, queries, bank, params, found)
    return adapted if found is None else with_templates(adapted, found, params)


def embedded(base_logits: np.ndarray, queries: np.ndarray, bank: Bank, params: MethodParams,
             found: np.ndarray | None = None) -> np.ndarray:
    """The embedding method alone, gated: base logits [B, 10], query embeddings [B, D] -> log-probabilities
    [B, 10] (`found`, the queries' template distances, only feeds the voice gate here)."""
    adapted = combine(base_logits, scores(bank, queries, params), params)
    return gated(base_logits, adapted, *embedding_gate(bank, queries, params, found))


def embedding_gate(bank: Bank, queries: np.ndarray, params: MethodParams, found: np.ndarray | None
                   ) -> tuple[np.ndarray | None, float | None]:
    """(closeness [B], threshold) that `gated` reads: the voice gate's (minus the nearest template's distance)
    when templates answer and `voice_gate` is set, else the embeddings' closeness (None, None: no gate)."""
    if found is not None and params.voice_gate is not None:
        return -found.min(axis=1), -params.voice_gate
    if params.gate is None:
        return None, None
    return closeness(bank, queries), params.gate


# The method `digitfusion enrol` ships, and its parameters: chosen on the held-out speakers of the six FSDD
# leave-one-speaker-out folds of the shipped recipe, pooled, each enrolled under the fold model that never heard
# them (bench/bench_enrol.py --folds runs/loso-copies --nested: the audio head over the pretrained speech embedding;
# docs/results.md, "Enrolment"); the best own-voice accuracy among settings that cost other people <= 0.3 point:
# the ridge gated by the templates' distance for recordings (by its own closeness for writing), then the templates.
# The same rule applied to five folds and read on the sixth (the nested row) is its measure.
SHIPPED = MethodParams(name="ridge", weight=0.5, temperature=1.0, centre=True, gate=0.9, template_weight=0.5,
                       template_temperature=0.1, template_gate=0.75, voice_gate=0.8)
