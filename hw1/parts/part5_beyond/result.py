"""Part 5's typed result."""

from __future__ import annotations

from dataclasses import dataclass

DEFENDED = "cnn_adversarially_trained.pt"  # the headline defended network (budgeted, FGSM with random start)
GOODFELLOW = "cnn_goodfellow_single_step.pt"  # Goodfellow et al.'s objective, one unbudgeted step: the old 5.2
UNIVERSAL = "universal.pt"
CONFIDENCE_ADVERSARIAL = "part5_confidence.pt"
UNIVERSAL_SHOWN = 3  # digits the universal-perturbation figure shows with v added (the first Part 4 images)


@dataclass
class Part5Result:
    attack_eps: float  # Part 4's attack settings, reused throughout
    attack_max_steps: int
    attack_confidence: float
    part4_median_linf: float  # L-inf the Part 4 untargeted attack needed (median): the scale for adversarial_eps
    images_confidence: int
    universal_test_images: int
    confidence: list[dict]  # per attack kind and threshold: success, steps, sizes, transfer
    defended_test_accuracy: float
    original_test_accuracy: float
    retrained_test_accuracy: float
    defended_train_seconds: float
    goodfellow_test_accuracy: float  # Goodfellow et al.'s single-step network (the old 5.2 network)
    goodfellow_train_seconds: float
    robustness: list[dict]  # per network: one-sided PGD robust accuracy per budget (RobustnessCurve fields)
    robust_settings: dict  # the bounded evaluation's settings (steps, step fraction, starts, images)
    guard: dict  # the catastrophic-overfitting guard's checks: robust accuracy on the held-out batch
    tradeoff: dict  # benchmarks/defence_tradeoff.json as measured (command, CPU, rows), or {} if absent
    defended_images: int
    defended: list[dict]  # per network: the Part 4 untargeted attack's statistics
    transfer: list[list[float]]  # [source][target]: share of source's adversarials the target misclassifies
    networks: list[str]
    universal: list[dict]  # per budget: fooling rate, random control, norms
    universal_headline: dict  # the headline budget: transfer to the other networks, classes fooled into
    seconds: dict
    confidence_artifact: str = CONFIDENCE_ADVERSARIAL
    defended_weights: str = DEFENDED
    goodfellow_weights: str = GOODFELLOW
    universal_artifact: str = UNIVERSAL
