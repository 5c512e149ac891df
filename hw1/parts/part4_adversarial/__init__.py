"""Part 4: constrained adversarial images against the Part 3 CNN, and what a retrained CNN sees."""

from ..contract import Part
from . import compute, figures
from .config import Part4Config
from .result import Part4Result

PART = Part(
    number=4,
    title="Adversarial Images",
    config_cls=Part4Config,
    result_cls=Part4Result,
    run=compute.run,
    draw=figures.draw,
    depends_on=(3,),
    uses_device=True,
)
