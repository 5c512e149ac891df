"""The registry of the assignment's parts: how each is configured, computed, cached and drawn."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import figures, figures_part5, part1_neuron, part2_xor, part3_cnn, part4_adversarial, part5_beyond

from .paths import PACKAGE_DIR  # noqa: E402

# The code every CNN part computes with: a change in any of these recomputes Parts 3, 4 and 5.
CNN_CODE = ("training.py", "train_config.py", "models.py", "data.py", "runtime.py")


@dataclass(frozen=True)
class PartSpec:
    number: int
    name: str  # key in results.json, e.g. "part1"
    title: str
    config_cls: type
    result_cls: type
    run: Callable  # run(config, ctx, *upstream StoredParts) -> result
    draw: Callable  # draw(stored, artifacts_dir, figures_dir) -> {name: Figure}
    code_modules: tuple[str, ...]  # source files whose change invalidates saved results
    depends_on: tuple[int, ...] = ()
    uses_device: bool = False  # results depend on the device (CPU and GPU numerics differ)

    def code_files(self) -> list[Path]:
        return [PACKAGE_DIR / module for module in self.code_modules]


PARTS: dict[int, PartSpec] = {
    1: PartSpec(
        number=1,
        name="part1",
        title="Plot Loss and Gradient",
        config_cls=part1_neuron.Part1Config,
        result_cls=part1_neuron.Part1Result,
        run=part1_neuron.run,
        draw=figures.draw_part1,
        code_modules=("part1_neuron.py",),
    ),
    2: PartSpec(
        number=2,
        name="part2",
        title="Solving XOR with a 2-layer Perceptron",
        config_cls=part2_xor.Part2Config,
        result_cls=part2_xor.Part2Result,
        run=part2_xor.run,
        draw=figures.draw_part2,
        code_modules=("part2_xor.py", "models.py"),
    ),
    3: PartSpec(
        number=3,
        name="part3",
        title="Train a Convolutional Neural Network",
        config_cls=part3_cnn.Part3Config,
        result_cls=part3_cnn.Part3Result,
        run=part3_cnn.run,
        draw=figures.draw_part3,
        code_modules=("part3_cnn.py", *CNN_CODE),
        uses_device=True,
    ),
    4: PartSpec(
        number=4,
        name="part4",
        title="Adversarial Images",
        config_cls=part4_adversarial.Part4Config,
        result_cls=part4_adversarial.Part4Result,
        run=part4_adversarial.run,
        draw=figures.draw_part4,
        code_modules=("part4_adversarial.py", "attacks.py", *CNN_CODE),
        depends_on=(3,),
        uses_device=True,
    ),
    5: PartSpec(
        number=5,
        name="part5",
        title="Beyond the Assignment: Confidence, Defence, Universal Perturbations",
        config_cls=part5_beyond.Part5Config,
        result_cls=part5_beyond.Part5Result,
        run=part5_beyond.run,
        draw=figures_part5.draw_part5,
        code_modules=("part5_beyond.py", "attacks.py", "part4_adversarial.py", "part3_cnn.py", *CNN_CODE),
        depends_on=(3, 4),
        uses_device=True,
    ),
}


def with_dependencies(numbers: list[int]) -> list[int]:
    """The requested parts plus every part they depend on, in computation order."""
    needed: set[int] = set()

    def visit(number: int) -> None:
        if number in needed:
            return
        for dependency in PARTS[number].depends_on:
            visit(dependency)
        needed.add(number)

    for number in numbers:
        visit(number)
    return sorted(needed)
