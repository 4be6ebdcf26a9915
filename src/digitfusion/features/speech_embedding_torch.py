"""The speech embedding front end in torch (features/speech_embedding.py says what and why).

Both ONNX files are chains of a few operators, so they are rebuilt here as plain modules from their weights
(`mel_from_onnx`, `chain_from_onnx`; any other operator is refused), checked against onnxruntime by the tests.
A converter library would pull torchvision, which has no CPU build here. One change from the ONNX graph: its
80 dB floor takes the maximum over the whole batch; here it is each clip's own, so a clip's features do not
depend on what it is batched with (the same numbers for a batch of one, how openWakeWord runs it).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy.signal import firwin
from torch import nn

from digitfusion.features.speech_embedding import SpeechEmbeddingParams, weight_files

INT16 = 32767.0  # the model reads 16-bit sample values


class Upsample2(nn.Module):
    """Waves [B, N] -> [B, 2N]: zeros inserted, then scipy.signal.resample_poly(x, 2, 1)'s Kaiser FIR low-pass."""

    def __init__(self, half_length: int = 20):
        super().__init__()
        taps = firwin(2 * half_length + 1, 0.5, window=("kaiser", 5.0)) * 2
        self.register_buffer("taps", torch.tensor(taps, dtype=torch.float32).view(1, 1, -1), persistent=False)
        self.half_length = half_length

    def forward(self, waves: torch.Tensor) -> torch.Tensor:
        return F.conv_transpose1d(waves.unsqueeze(1), self.taps, stride=2, padding=self.half_length,
                                  output_padding=1).squeeze(1)


class GoogleMel(nn.Module):
    """Waves [B, N] (16 kHz, int16 scale) -> log-mel [B, T, 32] as the model learnt it (10 log10, 80 dB floor per
    clip, then x / 10 + 2), T = 1 + (N - 512) // 160."""

    def __init__(self, real: np.ndarray, imag: np.ndarray, mel: np.ndarray, stride: int):
        super().__init__()
        self.register_buffer("basis", torch.from_numpy(np.concatenate([real, imag])), persistent=False)
        self.register_buffer("mel", torch.from_numpy(mel), persistent=False)  # [257, 32]
        self.stride = stride

    def forward(self, waves: torch.Tensor) -> torch.Tensor:
        real, imag = F.conv1d(waves.unsqueeze(1), self.basis, stride=self.stride).chunk(2, dim=1)
        power = torch.matmul((real ** 2 + imag ** 2).transpose(1, 2), self.mel)  # [B, T, 32]
        db = 10 * torch.log10(torch.clamp(power, min=1e-10))
        db = torch.maximum(db, db.amax(dim=(1, 2), keepdim=True) - 80)
        return db / 10 + 2


def _onnx(path):
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    weights = {i.name: numpy_helper.to_array(i).copy() for i in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant":
            weights[node.output[0]] = numpy_helper.to_array(node.attribute[0].t).copy()
    return model, weights


def _attributes(node) -> dict:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def mel_from_onnx(path) -> GoogleMel:
    model, weights = _onnx(path)
    convs = [n for n in model.graph.node if n.op_type == "Conv"]
    real, imag = (weights[c.input[1]] for c in convs)
    matmul = next(n for n in model.graph.node if n.op_type == "MatMul")
    return GoogleMel(real, imag, weights[matmul.input[1]], stride=_attributes(convs[0])["strides"][0])


def chain_from_onnx(path) -> nn.Sequential:
    """The embedding network: Pad + Reshape (NHWC [B, 76, 32, 1] -> NCHW [B, 1, 76, 34]), then a chain of Conv,
    Relu, BatchNormalization, LeakyRelu, Max (with a constant), MaxPool; its final Reshape ([B, 96]) is left to the
    caller. Every layer is a valid convolution or a pooling with stride = kernel, so the chain also reads a longer
    mel [B, T, 32] at once: [B, 96, 1 + (T - 76) // 8, 1], one output per 76-frame window 8 frames apart."""
    model, weights = _onnx(path)
    layers: list[nn.Module] = []
    for node in model.graph.node:
        op, attrs = node.op_type, _attributes(node)
        if op == "Pad":
            pads = weights[node.input[1]]  # NHWC begins then ends: only the mel axis (W) is padded
            assert list(pads) == [0, 0, 1, 0, 0, 0, 1, 0], pads
        elif op == "Reshape":
            continue
        elif op == "Conv":
            layers.append(_conv(weights, node, attrs))
        elif op == "Relu":
            layers.append(nn.ReLU())
        elif op == "BatchNormalization":
            layers.append(_batch_norm(weights, node, attrs))
        elif op == "LeakyRelu":
            layers.append(nn.LeakyReLU(attrs["alpha"]))
        elif op == "Max":
            layers.append(ClampMin(float(weights[node.input[1]].reshape(-1)[0])))
        elif op == "MaxPool":
            layers.append(nn.MaxPool2d(tuple(attrs["kernel_shape"]), tuple(attrs["strides"])))
        else:
            raise ValueError(f"{path}: operator {op} is not supported")
    return nn.Sequential(PadMel(), *layers)


def split_blocks(chain: nn.Sequential, open_blocks: int) -> tuple[nn.Sequential, nn.Sequential]:
    """The chain cut before its last `open_blocks` blocks: (stem, top). Blocks end at a MaxPool (the last one also
    holds the final convolution); the first block always stays in the stem."""
    pools = [i for i, layer in enumerate(chain) if isinstance(layer, nn.MaxPool2d)]
    if not 0 < open_blocks < len(pools):
        raise ValueError(f"open_blocks must be 1 to {len(pools) - 1}, not {open_blocks}")
    cut = pools[len(pools) - open_blocks - 1] + 1
    return chain[:cut], chain[cut:]


def pretrained_top(open_blocks: int) -> nn.Sequential:
    """The embedding network's last `open_blocks` blocks with their pretrained weights (trainable): stem activations
    [B, C, T, F] -> [B, 96, W, 1]."""
    return split_blocks(chain_from_onnx(weight_files()["embedding"]), open_blocks)[1]


class PadMel(nn.Module):
    """[B, 76, 32] -> [B, 1, 76, 34]: one zero band either side, as the model's first layer pads."""

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return F.pad(mel, (1, 1)).unsqueeze(1)


class ClampMin(nn.Module):
    def __init__(self, floor: float):
        super().__init__()
        self.floor = floor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.clamp(x, min=self.floor)


def _conv(weights: dict, node, attrs: dict) -> nn.Conv2d:
    kernel = weights[node.input[1]]
    pads = attrs.get("pads", [0, 0, 0, 0])  # begins (H, W) then ends (H, W)
    assert pads[:2] == pads[2:] and attrs.get("group", 1) == 1 and list(attrs.get("strides", [1, 1])) == [1, 1]
    conv = nn.Conv2d(kernel.shape[1], kernel.shape[0], kernel.shape[2:], padding=tuple(pads[:2]),
                     bias=len(node.input) > 2)
    conv.weight.data = torch.from_numpy(kernel)
    if conv.bias is not None:
        conv.bias.data = torch.from_numpy(weights[node.input[2]])
    return conv


def _batch_norm(weights: dict, node, attrs: dict) -> nn.BatchNorm2d:
    scale, bias, mean, var = (torch.from_numpy(weights[name]) for name in node.input[1:5])
    norm = nn.BatchNorm2d(len(scale), eps=attrs.get("epsilon", 1e-5))
    norm.weight.data, norm.bias.data, norm.running_mean.data, norm.running_var.data = scale, bias, mean, var
    return norm


class SpeechEmbedding(nn.Module):
    """Clips [B, 8000] (8 kHz) -> embeddings [B, 1, W, 96] (W = 9 windows of 775 ms, 80 ms apart), or, with
    SpeechEmbeddingStemParams, the stem's activations [B, 72, 31, 4] (open_blocks=2). Frozen: its weights never
    train and it stays in eval mode (its batch norm uses the learnt statistics)."""

    def __init__(self, params: SpeechEmbeddingParams | None = None):
        super().__init__()
        self.params = params or SpeechEmbeddingParams()
        if (self.params.window, self.params.step) != (76, 8):  # what the network reads, and its time stride
            raise ValueError("the speech embedding reads 76-frame windows 8 frames apart")
        files = weight_files()
        self.upsample = Upsample2()
        self.mel = mel_from_onnx(files["mel"])
        self.embedding = chain_from_onnx(files["embedding"])
        self.open_blocks = self.params.open_blocks
        if self.open_blocks:
            self.embedding = split_blocks(self.embedding, self.open_blocks)[0]
        self.requires_grad_(False)
        self.train(False)

    def train(self, mode: bool = True) -> SpeechEmbedding:
        return super().train(False)

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        p = self.params
        waves = self.upsample(clips)
        extra = p.padded_samples - waves.shape[1]
        waves = F.pad(waves, (extra // 2, extra - extra // 2)) * INT16
        mel = self.mel(waves)  # [B, T, 32]
        # One pass over the whole mel gives every window's embedding (the windows start at multiples of the
        # network's time stride, 8 = p.step): the same numbers as running each 76-frame window alone, ~5x faster.
        out = self.embedding(mel)  # [B, 96, W, 1]; the stem's [B, C, T', F'] when its last blocks are open
        return out if self.open_blocks else as_windows(out)


def as_windows(out: torch.Tensor) -> torch.Tensor:
    """The network's output [B, 96, W, 1] -> embeddings [B, 1, W, 96]."""
    return out.squeeze(3).transpose(1, 2).unsqueeze(1)
