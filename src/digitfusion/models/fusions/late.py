"""Late fusion: rules that combine the two unimodal models' outputs (logits [B, 10] each, None if absent).

Parameters (temperatures, the image weight, the stacking classifier) are fit on VALIDATION pairs only;
`fit` is the one place that sees labels. Every rule answers from the present modality when one is absent.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from digitfusion.models.fused import Encode
from digitfusion.models.registry import FusionSpec

RULES = ("mean", "weighted", "product", "max", "vote", "stacking", "reliability")
PREFIX = "late-"


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """Temperature scaling (Guo et al. 2017): the T > 0 minimising NLL of softmax(logits / T)."""
    log_t = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.1, max_iter=100)

    def closure():
        optimizer.zero_grad()
        loss = F.cross_entropy(logits / log_t.exp(), labels)
        loss.backward()
        return loss

    optimizer.step(closure)
    return float(log_t.detach().exp())


class LateFusion:
    """One late-fusion rule. `combine` returns probabilities [B, 10] and modality weights [B, 2]."""

    def __init__(self, rule: str):
        if rule not in RULES:
            raise ValueError(f"unknown late-fusion rule {rule!r} (choose from {', '.join(RULES)})")
        self.rule = rule
        self.temperature = {"image": 1.0, "audio": 1.0}
        self.image_weight = 0.5
        self.stacker: torch.nn.Linear | None = None

    # ---- fitting, on validation only -------------------------------------------------------------
    def fit(self, image_logits: torch.Tensor, audio_logits: torch.Tensor, labels: torch.Tensor) -> LateFusion:
        if self.rule == "reliability":
            self.temperature = {"image": fit_temperature(image_logits, labels),
                                "audio": fit_temperature(audio_logits, labels)}
        elif self.rule == "weighted":
            self.image_weight = self._best_weight(image_logits.softmax(1), audio_logits.softmax(1), labels)
        elif self.rule == "stacking":
            self.stacker = self._fit_stacker(image_logits, audio_logits, labels)
        return self

    @staticmethod
    def _best_weight(p_image: torch.Tensor, p_audio: torch.Tensor, labels: torch.Tensor) -> float:
        grid = torch.linspace(0, 1, 101)
        nll = [F.nll_loss(torch.log(w * p_image + (1 - w) * p_audio + 1e-12), labels).item() for w in grid]
        return float(grid[int(torch.tensor(nll).argmin())])

    @staticmethod
    def _fit_stacker(image_logits, audio_logits, labels, l2: float = 1e-3) -> torch.nn.Linear:
        """Multinomial logistic regression on [log p_image ; log p_audio] (20 inputs)."""
        x = torch.cat([image_logits.log_softmax(1), audio_logits.log_softmax(1)], dim=1).detach()
        torch.manual_seed(0)
        stacker = torch.nn.Linear(20, 10)
        optimizer = torch.optim.LBFGS(stacker.parameters(), lr=0.5, max_iter=200)

        def closure():
            optimizer.zero_grad()
            loss = F.cross_entropy(stacker(x), labels) + l2 * stacker.weight.pow(2).sum()
            loss.backward()
            return loss

        optimizer.step(closure)
        return stacker.requires_grad_(False)

    # ---- combining ---------------------------------------------------------------------------------
    def combine(self, image_logits: torch.Tensor | None, audio_logits: torch.Tensor | None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        if image_logits is None and audio_logits is None:
            raise ValueError("both modalities are missing: give an image, a recording, or both")
        if image_logits is None or audio_logits is None:
            present = image_logits if audio_logits is None else audio_logits
            name = "image" if audio_logits is None else "audio"
            weights = torch.tensor([1.0, 0.0] if name == "image" else [0.0, 1.0]).expand(len(present), 2)
            return (present / self.temperature[name]).softmax(1), weights
        p_image = (image_logits / self.temperature["image"]).softmax(1)
        p_audio = (audio_logits / self.temperature["audio"]).softmax(1)
        return getattr(self, f"_{self.rule}")(p_image, p_audio, image_logits, audio_logits)

    @staticmethod
    def _even(n: int) -> torch.Tensor:
        return torch.full((n, 2), 0.5)

    def _mean(self, p_image, p_audio, *_):
        return (p_image + p_audio) / 2, self._even(len(p_image))

    def _weighted(self, p_image, p_audio, *_):
        w = self.image_weight
        return w * p_image + (1 - w) * p_audio, torch.tensor([w, 1 - w]).expand(len(p_image), 2)

    def _product(self, p_image, p_audio, *_):
        return (p_image.clamp_min(1e-12).log() + p_audio.clamp_min(1e-12).log()).softmax(1), self._even(len(p_image))

    def _max(self, p_image, p_audio, *_):
        image_wins = p_image.amax(1) >= p_audio.amax(1)
        weights = torch.stack([image_wins.float(), (~image_wins).float()], dim=1)
        return torch.where(image_wins[:, None], p_image, p_audio), weights

    def _vote(self, p_image, p_audio, *_):
        """Two voters: agreement wins outright (mean of both); a tie (disagreement) goes to the more confident."""
        agree = p_image.argmax(1) == p_audio.argmax(1)
        chosen, weights = self._max(p_image, p_audio)
        mean = (p_image + p_audio) / 2
        weights = torch.where(agree[:, None], self._even(len(agree)), weights)
        return torch.where(agree[:, None], mean, chosen), weights

    def _stacking(self, p_image, p_audio, image_logits, audio_logits):
        if self.stacker is None:
            raise RuntimeError("the stacking rule must be fit on validation predictions first")
        x = torch.cat([image_logits.log_softmax(1), audio_logits.log_softmax(1)], dim=1)
        return self.stacker(x).softmax(1), self._even(len(p_image))

    def _reliability(self, p_image, p_audio, *_):
        """Calibrated (temperature-scaled) confidences: agreeing modalities multiply; when they disagree,
        the answer is the more reliable one's. Weights = each modality's calibrated confidence, normalised."""
        confidence = torch.stack([p_image.amax(1), p_audio.amax(1)], dim=1)
        weights = confidence / confidence.sum(1, keepdim=True)
        agree = p_image.argmax(1) == p_audio.argmax(1)
        product, _ = self._product(p_image, p_audio)
        chosen, _ = self._max(p_image, p_audio)
        return torch.where(agree[:, None], product, chosen), weights

    @torch.no_grad()
    def pair_outputs(self, items: dict, pairs: torch.Tensor, encode: Encode) -> dict[str, torch.Tensor]:
        """Evaluation: the unimodal models' logits per unique item (from `encode`, shared by every rule), combined
        on the pairs [P, 2] -> probs [P, 10], weights [P, 2]."""
        logits = {m: encode(m, None) for m in ("image", "audio")}
        probs, weights = self.combine(None if logits["image"] is None else logits["image"][pairs[:, 0]],
                                      None if logits["audio"] is None else logits["audio"][pairs[:, 1]])
        return {"probs": probs, "weights": weights}

    def state(self) -> dict:
        """Everything fit on validation, as plain numbers (saved beside the run, shown in the report)."""
        state = {"rule": self.rule, "temperature": self.temperature, "image_weight": self.image_weight}
        if self.stacker is not None:
            state["stacker"] = {"weight": self.stacker.weight.tolist(), "bias": self.stacker.bias.tolist()}
        return state

    @staticmethod
    def fitted_values(state: dict) -> dict[str, str]:
        """What a rule's `state()` holds that was fit on validation, as report cells (empty for the fixed rules)."""
        rule = state["rule"]
        if rule == "weighted":
            return {f"{rule}: image weight": f"{state['image_weight']:.2f}"}
        if rule == "reliability":
            return {f"{rule}: temperature {m}": f"{t:.2f}" for m, t in state["temperature"].items()}
        return {}

    @classmethod
    def from_state(cls, state: dict) -> LateFusion:
        fusion = cls(state["rule"])
        fusion.temperature, fusion.image_weight = dict(state["temperature"]), float(state["image_weight"])
        if "stacker" in state:
            fusion.stacker = torch.nn.Linear(20, 10).requires_grad_(False)
            fusion.stacker.weight.copy_(torch.tensor(state["stacker"]["weight"]))
            fusion.stacker.bias.copy_(torch.tensor(state["stacker"]["bias"]))
        return fusion


def _rule(name: str):
    return lambda encoders=None, **kwargs: LateFusion(name)


# Nothing trained: each rule is fit on validation pairs by evaluation (`fit`), then combines the unimodal outputs.
SPECS = [FusionSpec(f"{PREFIX}{rule}", "late", order=100 + i, summary=f"late rule: {rule} of the unimodal outputs",
                    build=_rule(rule)) for i, rule in enumerate(RULES)]
