"""Part 1: a single sigmoid neuron, its L2 and cross-entropy losses, and their gradients."""

from ..contract import Part
from . import compute, figures
from .config import Part1Config
from .result import Part1Result

PART = Part(
    number=1,
    title="Plot Loss and Gradient",
    config_cls=Part1Config,
    result_cls=Part1Result,
    run=compute.run,
    draw=figures.draw,
)
