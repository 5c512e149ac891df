"""Part 4's typed result."""

from __future__ import annotations

from dataclasses import dataclass

ADVERSARIAL = "adversarial.pt"
RETRAINED = "cnn_retrained.pt"


@dataclass(frozen=True)
class Stats:
    """Distribution of a per-image quantity over the successful attacks (all 0 when none succeeded)."""

    mean: float  # mean
    median: float  # median
    p90: float  # 90th percentile
    max: float  # largest


@dataclass(frozen=True)
class AttackSummary:
    """One attack (untargeted or targeted) on the Part 4 images, and Question 3's transfer to the retrained CNN."""

    attacked: int  # images attacked
    succeeded: int  # attacks that met the stopping rule within max_steps
    success_rate: float  # succeeded / attacked
    failed: int  # attacks that did not meet the stopping rule
    steps: Stats  # sign steps each successful attack needed
    steps_histogram: list[int]  # [k]: successful attacks that needed k steps (k = 0 .. max_steps)
    linf: Stats  # L-inf size of the perturbation, input units ([-1, 1] spans 2)
    l2: Stats  # L2 size of the perturbation, input units
    changed_pixels: Stats  # pixels the attack brightened (of 784)
    final_confidence: Stats  # the attacked network's probability of its (wrong or target) answer at the stop
    retrained_misclassified: float  # share of the successful adversarial images the retrained CNN gets wrong
    retrained_accuracy_adversarial: float  # share it classifies correctly (1 - retrained_misclassified)
    retrained_accuracy_original: float  # its accuracy on the same images before the attack
    retrained_same_prediction: float  # share where it makes the attacked network's (wrong) prediction
    retrained_confident_wrong: float  # share it gets wrong with probability >= 0.9
    retrained_wrong_confidence_median: float | None  # its median confidence in its wrong answers (None: none)
    changed_background_share: float  # share of the brightened pixels that were black background (-1)
    retrained_hit_target: float | None = None  # targeted only: share where it predicts the attack's target


@dataclass(frozen=True)
class AttackExample:
    """One attacked image the report shows (a row of adversarial.pt)."""

    row: int  # row in adversarial.pt
    label: int  # the true digit
    target: int  # the targeted attack's goal (-1: untargeted)
    steps: int  # sign steps taken
    linf: float  # L-inf size of the perturbation, input units
    l2: float  # L2 size of the perturbation, input units
    changed_pixels: int  # pixels brightened
    probabilities_before: list[float]  # attacked network's softmax on the original image, per class 0-9
    probabilities_after: list[float]  # ... on the adversarial image
    prediction_after: int  # its prediction on the adversarial image
    confidence_after: float  # its probability of that prediction
    retrained_prediction: int  # the retrained CNN's prediction on the adversarial image
    retrained_confidence: float  # ... and its probability
    retrained_original_prediction: int  # the retrained CNN's prediction on the original image
    retrained_original_confidence: float  # ... and its probability


@dataclass(frozen=True)
class SweepRow:
    """The untargeted attack with one step size, on the first images (the step-size comparison)."""

    eps: float  # step size, input units
    images: int  # images attacked
    success_rate: float  # share of images fooled within max_steps
    median_steps: float  # over successful attacks
    median_linf: float  # input units
    median_l2: float  # input units
    median_confidence: float  # the network's probability of its wrong answer at the stop
    seconds: float  # time the attack took


@dataclass(frozen=True)
class Part4Result:
    images: int  # test images attacked (each attack)
    retrained_seed: int  # seed of the retrained CNN (Question 3)
    retrained_test_accuracy: float  # its accuracy on the clean test set
    original_test_accuracy: float  # the Part 3 network's accuracy on the clean test set
    untargeted: AttackSummary  # Question 1
    targeted: AttackSummary  # Question 2
    untargeted_examples: list[AttackExample]  # the examples the report shows
    targeted_examples: list[AttackExample]  # the targeted examples the report shows
    pair_success: list[list[float]]  # targeted success rate, [source][target]
    pair_grid_index: list[list[int]]  # row of adversarial.pt shown for [source][target] (-1: none)
    eps_sweep: list[SweepRow]  # per step size, ascending
    seconds_untargeted: float  # time of the untargeted attack, s
    seconds_targeted: float  # time of the targeted attack, s
    seconds_retraining: float  # time to train the retrained CNN, s
    artifact: str = ADVERSARIAL  # file in artifacts/ with every attacked image (adversarial.pt)
    retrained_weights: str = RETRAINED  # the retrained CNN (state_dict) in artifacts/

    @property
    def sweep_l2_grows_with_eps(self) -> bool:
        """In the step-size comparison, does the median L2 of the perturbation grow with every larger step?"""
        l2 = [row.median_l2 for row in sorted(self.eps_sweep, key=lambda row: row.eps)]
        return all(a < b for a, b in zip(l2, l2[1:]))

    @property
    def sweep_steps_fall_with_eps(self) -> bool:
        """... and does the median number of steps fall (or stay) with every larger step?"""
        steps = [row.median_steps for row in sorted(self.eps_sweep, key=lambda row: row.eps)]
        return all(a >= b for a, b in zip(steps, steps[1:]))

    @property
    def target_pairs(self) -> dict:
        """Of the 90 (digit, target) pairs: how many were reached by at least one targeted attack, and how many by
        every attack on that pair (a pair never attacked counts as not reached)."""
        cells = [self.pair_success[s][t] for s in range(10) for t in range(10) if s != t]
        return {"pairs": len(cells), "reached": sum(v > 0 for v in cells), "always": sum(v >= 1 for v in cells)}
