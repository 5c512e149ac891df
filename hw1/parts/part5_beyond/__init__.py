"""Part 5, beyond the assignment: does confidence decide transfer, can training resist, one perturbation for all."""

from ..contract import Part
from . import compute, figures
from .config import Part5Config
from .result import Part5Result

PART = Part(
    number=5,
    title="Beyond the Assignment: Confidence, Defence, Universal Perturbations",
    config_cls=Part5Config,
    result_cls=Part5Result,
    run=compute.run,
    draw=figures.draw,
    depends_on=(3, 4),
    uses_device=True,
)
