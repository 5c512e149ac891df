"""Part 3: the Table 1 CNN trained on MNIST with Adam and cross-entropy, past 99% test accuracy."""

from ..contract import Part
from . import compute, figures
from .config import Part3Config
from .result import Part3Result

PART = Part(
    number=3,
    title="Train a Convolutional Neural Network",
    config_cls=Part3Config,
    result_cls=Part3Result,
    run=compute.run,
    draw=figures.draw,
    uses_device=True,
)
