"""The networks of the assignment: Part 2's XOR perceptron and Part 3's Table 1 CNN.

Load trained weights::

    model = Table1CNN(); model.load_state_dict(torch.load("report/artifacts/cnn.pt", weights_only=True))
    model.eval()  # BatchNorm must use its running statistics
"""

from __future__ import annotations

import contextlib
import copy
from typing import Iterator

import torch
from torch import nn


class XorNet(nn.Module):
    """2 inputs -> 2 hidden units (tanh, or identity) -> 1 sigmoid output, as in the assignment's Figure 3.

    Calling the network gives the output in (0, 1), which is how the course's autograder checks it:
    `network(torch.tensor([[0., 0.]]))` must be within 0.01 of 0. Training uses `logits` with a
    BCE-with-logits loss, which is numerically stable where the sigmoid saturates.
    """

    def __init__(self, activation: str = "tanh"):
        super().__init__()
        if activation not in ("tanh", "identity"):
            raise ValueError(f"activation must be 'tanh' or 'identity', got {activation!r}")
        self.activation = activation
        self.hidden = nn.Linear(2, 2)
        self.output = nn.Linear(2, 1)

    def hidden_activations(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 2) inputs -> (N, 2) hidden activations (h1, h2)."""
        pre = self.hidden(x)
        return torch.tanh(pre) if self.activation == "tanh" else pre

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 2) -> (N,) logits of the output unit (before the sigmoid)."""
        return self.output(self.hidden_activations(x)).squeeze(-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 2) -> (N,) outputs in (0, 1)."""
        return torch.sigmoid(self.logits(x))

    def probability(self, x: torch.Tensor) -> torch.Tensor:
        """Same as calling the network: the sigmoid output (N,)."""
        return self(x)


def _conv_block(in_channels: int, out_channels: int) -> list[nn.Module]:
    # The conv bias is redundant (BatchNorm subtracts the batch mean and adds its own shift), but the
    # course's reference model has it and its autograder compares parameter counts, so it stays.
    return [
        nn.Conv2d(in_channels, out_channels, kernel_size=5, padding="same"),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
    ]


class Table1CNN(nn.Module):
    """The CNN of the assignment's Table 1, for (N, 1, 28, 28) inputs in [-1, 1]; returns (N, 10) logits.

    28x28 -> conv 5x5x32 -> pool -> 14x14 -> conv 5x5x32 -> pool -> 7x7 -> conv 5x5x64 -> pool -> 3x3
    -> flatten 576 -> FC 64 (BatchNorm, ReLU) -> FC 10. The layers are PyTorch's defaults (biases
    included) and the flatten happens in `forward`, so `torchsummary.summary(model, (1, 28, 28))`
    matches the course's reference model line by line (115,690 parameters).
    Table 1 ends in a softmax: here it is applied by
    `cross_entropy` during training and by `probabilities` elsewhere. Putting a softmax layer inside the
    model *and* using CrossEntropyLoss (which applies log-softmax itself) would be a double softmax,
    which squashes the gradients and slows or stalls training.
    """

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(*_conv_block(1, 32), *_conv_block(32, 32), *_conv_block(32, 64))
        self.classifier = nn.Sequential(
            nn.Linear(64 * 3 * 3, 64),
            nn.BatchNorm1d(64),
            nn.ReLU(inplace=True),
            nn.Linear(64, 10),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))  # (N, 576) -> (N, 10)

    def probabilities(self, x: torch.Tensor) -> torch.Tensor:
        """Softmax over the 10 classes (Table 1's last layer)."""
        return torch.softmax(self(x), dim=1)


@contextlib.contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """The network in eval mode (BatchNorm on its running statistics) for the block, then its mode restored."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """A frozen copy of `model` in eval mode that computes the same function with fewer operations: each
    BatchNorm that directly follows a Conv2d or Linear inside an nn.Sequential is folded into that layer's
    weight and bias (PyTorch's public torch.nn.utils.fusion; in eval mode a BatchNorm is the per-channel affine
    map gamma (z - mean) / sqrt(var + eps) + beta, so w' = w gamma / sqrt(var + eps) and b' likewise).

    Attacks only need input gradients of the eval-mode network, so folding loses nothing; the logits agree
    with the original's to float32 rounding (about 1e-6, tests/test_part5_robustness.py). It saves the
    BatchNorm's forward and backward passes, 17% of an attack pass of the Table 1 CNN on the CPU in a
    torch.profiler trace (docs/part5-defence.md). A model without such pairs comes back as a frozen eval-mode copy."""
    from torch.nn.utils.fusion import fuse_conv_bn_eval, fuse_linear_bn_eval

    folded = copy.deepcopy(model).eval()
    for module in list(folded.modules()):
        if not isinstance(module, nn.Sequential):
            continue
        layers, kept = list(module), []
        while layers:
            layer = layers.pop(0)
            following = layers[0] if layers else None
            if isinstance(layer, nn.Conv2d) and isinstance(following, nn.BatchNorm2d) and _foldable(following):
                layer = _same_layout(fuse_conv_bn_eval(layer, layers.pop(0)), layer)
            elif isinstance(layer, nn.Linear) and isinstance(following, nn.BatchNorm1d) and _foldable(following):
                layer = fuse_linear_bn_eval(layer, layers.pop(0))
            kept.append(layer)
        del module[:]  # refilled in place, so the parent keeps its reference
        for layer in kept:
            module.append(layer)
    return folded.requires_grad_(False)


def _foldable(norm: nn.Module) -> bool:
    """An eval-mode BatchNorm that normalises with running statistics (one without them uses batch statistics)."""
    return norm.track_running_stats and norm.running_mean is not None and norm.running_var is not None


def _same_layout(conv: nn.Conv2d, original: nn.Conv2d) -> nn.Conv2d:
    """The folded convolution with its weight in the original's memory layout (channels_last on the CPU)."""
    if original.weight.is_contiguous(memory_format=torch.channels_last) and not original.weight.is_contiguous():
        return conv.to(memory_format=torch.channels_last)
    return conv


def prefers_channels_last(device: torch.device | str) -> bool:
    """hw1's memory-layout policy, decided here and nowhere else: channels_last on the CPU (oneDNN's
    convolutions run this CNN fastest in it, benchmarks/bench_training.py), the default layout on CUDA."""
    return torch.device(device).type == "cpu"


def in_layout(x: torch.Tensor, channels_last: bool) -> torch.Tensor:
    """(N, C, H, W) input in the memory layout the model runs in.

    channels_last is faster for this CNN on CPU (oneDNN convolutions; see benchmarks/bench_training.py),
    so the trained models are kept in it on CPU; CUDA uses the default layout.
    """
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


def architecture_table(model: nn.Module, input_shape=(1, 1, 28, 28)) -> list[dict]:
    """One row per leaf layer: name, type, output shape (without batch) and parameter count."""
    rows: list[dict] = []
    hooks = []
    for name, module in model.named_modules():
        if len(list(module.children())) == 0:
            def record(mod, _inputs, output, name=name):
                rows.append({
                    "layer": name,
                    "type": type(mod).__name__,
                    "description": _describe(mod),
                    "output_shape": list(output.shape[1:]),
                    "parameters": sum(p.numel() for p in mod.parameters()),
                })
            hooks.append(module.register_forward_hook(record))
    try:
        with eval_mode(model), torch.no_grad():
            model(torch.zeros(input_shape, device=next(model.parameters()).device))
    finally:
        for hook in hooks:
            hook.remove()
    return rows


def biases_before_batchnorm(model: nn.Module) -> int:
    """Bias parameters of layers whose output goes straight into a BatchNorm (redundant, see Table1CNN).

    Leaf modules are taken in definition order, which for Table1CNN is the order of the forward pass.
    """
    leaves = [m for m in model.modules() if len(list(m.children())) == 0]
    return sum(layer.bias.numel() for layer, following in zip(leaves, leaves[1:])
               if getattr(layer, "bias", None) is not None
               and isinstance(following, (nn.BatchNorm1d, nn.BatchNorm2d)))


def _describe(module: nn.Module) -> str:
    if isinstance(module, nn.Conv2d):
        return f"{module.kernel_size[0]}x{module.kernel_size[1]}, {module.out_channels} filters, SAME padding"
    if isinstance(module, nn.AvgPool2d):
        return f"average {module.kernel_size}x{module.kernel_size}, stride {module.stride}"
    if isinstance(module, nn.Linear):
        return f"{module.in_features} -> {module.out_features}"
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        return f"{module.num_features} channels"
    return ""
