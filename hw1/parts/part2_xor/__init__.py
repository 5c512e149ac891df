"""Part 2: XOR with a 2-2-1 perceptron (tanh hidden layer, sigmoid output), seen from the hidden layer."""

from ..contract import Part
from . import compute, figures
from .config import Part2Config
from .result import Part2Result

PART = Part(
    number=2,
    title="Solving XOR with a 2-layer Perceptron",
    config_cls=Part2Config,
    result_cls=Part2Result,
    run=compute.run,
    draw=figures.draw,
)
