"""Part 5's typed result."""

from __future__ import annotations

from dataclasses import dataclass

DEFENDED = "cnn_adversarially_trained.pt"  # the headline defended network (budgeted, FGSM with random start)
GOODFELLOW = "cnn_goodfellow_single_step.pt"  # Goodfellow et al.'s objective, one unbudgeted step: the old 5.2
UNIVERSAL = "universal.pt"
CONFIDENCE_ADVERSARIAL = "part5_confidence.pt"
UNIVERSAL_SHOWN = 3  # digits the universal-perturbation figure shows with v added (the first Part 4 images)


@dataclass(frozen=True)
class ConfidenceRow:
    """One attack continued to one stopping confidence (5.1), on the first Part 4 images."""

    attack: str  # "untargeted" or "targeted"
    threshold: float  # the stopping confidence
    success_rate: float  # share of images that reached it within threshold_max_steps
    median_steps: float | None  # medians over the successful attacks (None: no attack succeeded)
    median_linf: float | None  # input units
    median_l2: float | None  # input units
    median_changed_pixels: float | None  # pixels brightened (median)
    transfer_misclassified: float  # share of the successful images the retrained CNN gets wrong
    transfer_hit_target: float | None = None  # targeted only: share where it predicts the target


@dataclass(frozen=True)
class AttackedNetwork:
    """The Part 4 attack (no budget) on one network, on the Part 4 images every network classifies correctly."""

    network: str  # "original", "retrained", "single-step (Goodfellow-style)" or "adversarially trained"
    clean_accuracy: float  # on the whole test set (or test_subset)
    success_rate: float  # share of images fooled within max_steps
    median_steps: float | None  # medians over the successful attacks (None: no attack succeeded)
    median_linf: float | None  # input units
    median_l2: float | None  # input units
    median_changed_pixels: float | None  # pixels brightened (median)


@dataclass(frozen=True)
class NetworkRobustness:
    """Robust accuracy of one network under the bounded attacks, per budget (ascending): the worst case over
    the attacks (an image is robust only if every attack fails on it)."""

    network: str  # which network
    budgets: list[float]  # L-inf budgets in input units ([-1, 1] spans 2; halve for [0, 1] units)
    robust: list[float]  # share of the evaluated images classified correctly after every attack
    robust_count: list[int]  # robust images per budget
    images: int  # images evaluated (a misclassified clean image is never robust)
    clean_accuracy: float  # on the same images
    seconds: float  # time the evaluation took
    attacks: list[str]  # the attacks, in the order they ran (each on the images the ones before it did not fool)
    first_fooled: list[list[int]]  # [budget][attack]: images that attack was the first to fool at that budget

    def at(self, budget: float) -> float:
        """Robust accuracy at `budget` (one of `budgets`)."""
        return self.robust[self.budgets.index(budget)]

    def standard_error(self, budget: float) -> float:
        """Binomial standard error of the robust accuracy at `budget`, sqrt(p (1 - p) / images)."""
        p = self.at(budget)
        return (p * (1 - p) / max(self.images, 1)) ** 0.5

    def fooled_after_first(self, budget: float) -> int:
        """Images at `budget` that the first attack (PGD) did not fool and a later one (APGD) did."""
        return sum(self.first_fooled[self.budgets.index(budget)][1:])


@dataclass(frozen=True)
class RobustSettings:
    """How robust accuracy was measured (5.2)."""

    steps: int  # PGD sign steps per start
    step_fraction: float  # step size as a fraction of the budget
    starts: list[str]  # PGD's starts per image
    attacks: list[str]  # every attack, in the order they ran (robust only if all fail)
    apgd_iterations: int  # iterations of each APGD attack (0: none ran)
    images: int  # test images evaluated
    headline: float  # the budget the report leads with, input units
    images_from: str  # which test images
    constraint: str  # the threat model, in words


@dataclass(frozen=True)
class GuardRecord:
    """The catastrophic-overfitting guard during the defended network's training."""

    budget: float  # PGD budget of its checks, input units
    steps: int  # PGD steps of its checks
    images: int  # held-out training images it attacks
    collapse: float  # robust-accuracy drop from the best check that counts as a collapse
    history: list[float]  # robust accuracy at each check
    collapsed: bool  # did it fire (and restore the best weights)?
    epochs_trained: int  # epochs the defended network trained for


@dataclass(frozen=True)
class UniversalRow:
    """One universal perturbation v >= 0 (5.3) at one L-inf budget, measured on test images."""

    budget: float  # L-inf budget, input units
    linf: float  # its L-inf size
    l2: float  # its L2 size
    pixels: int  # pixels it raises (v > 0)
    fooling_rate: float  # share of test images whose prediction it changes
    random_fooling_rate: float  # the same for a random v >= 0 of the same L2 norm (the control)
    random_l2: float  # L2 size of the random control


@dataclass(frozen=True)
class UniversalExample:
    """A digit the universal-perturbation figure shows with v added."""

    label: int  # the true digit
    prediction: int  # the original network's prediction on clamp(I + v, max=1)
    confidence: float  # its probability


@dataclass(frozen=True)
class UniversalHeadline:
    """The headline universal perturbation (the budget the report leads with)."""

    budget: float  # its L-inf budget, input units
    fooling_rate: float  # share of test images whose prediction it changes
    fooled_into: list[int]  # [digit]: fooled test images now predicted as that digit
    transfer: dict[str, float]  # network -> share of its test predictions the same v changes
    pixels_at_budget: int  # pixels raised by (almost) the whole budget
    mean_value: float  # average brightening per pixel, input units
    examples: list[UniversalExample]  # the digits the figure shows with v added


@dataclass(frozen=True)
class Part5Result:
    attack_eps: float  # Part 4's attack settings, reused throughout
    attack_max_steps: int  # Part 4's max_steps, used by 5.2's attack view
    attack_confidence: float  # Part 4's stopping confidence
    part4_median_linf: float  # L-inf the Part 4 untargeted attack needed (median): the scale for adversarial_eps
    images_confidence: int  # Part 4 images attacked in 5.1
    universal_test_images: int  # test images the universal perturbations are measured on
    confidence: list[ConfidenceRow]  # per attack kind and threshold (ascending)
    defended_test_accuracy: float  # the defended network's clean test accuracy
    original_test_accuracy: float  # Part 3's network's clean test accuracy
    retrained_test_accuracy: float  # Part 4's retrained network's clean test accuracy
    defended_train_seconds: float  # training time of the defended network, s
    goodfellow_test_accuracy: float  # the Goodfellow-style single-step network we trained (the old 5.2 network)
    goodfellow_train_seconds: float  # training time of the single-step network, s
    robustness: list[NetworkRobustness]  # per network
    robust_settings: RobustSettings  # how robust accuracy was measured
    guard: GuardRecord  # the catastrophic-overfitting guard's checks
    tradeoff: dict  # TABLE of this package's tradeoff.py, as benchmarks/bench_defence.py --save measured it
    defended_images: int  # Part 4 images every network classifies correctly (attacked in 5.2)
    defended: list[AttackedNetwork]  # per network (the order of `networks`)
    transfer: list[list[float | None]]  # [source][target]: share of source's adversarials the target misclassifies
    # (None: the attack made no adversarial image on source)
    networks: list[str]  # the four networks, in the order of defended and transfer
    universal: list[UniversalRow]  # per budget
    universal_headline: UniversalHeadline  # the headline universal perturbation
    seconds: dict[str, float]  # per step of the computation
    confidence_artifact: str = CONFIDENCE_ADVERSARIAL  # file in artifacts/ with 5.1's adversarial images
    defended_weights: str = DEFENDED  # the defended network (state_dict) in artifacts/
    goodfellow_weights: str = GOODFELLOW  # the single-step network (state_dict) in artifacts/
    universal_artifact: str = UNIVERSAL  # file in artifacts/ with the universal perturbations

    def attack_on(self, network: str) -> AttackedNetwork:
        """The Part 4 attack's statistics on `network` (a name in `networks`)."""
        return next(row for row in self.defended if row.network == network)

    def robustness_of(self, network: str) -> NetworkRobustness:
        """The bounded evaluation of `network` (a name in `networks`)."""
        return next(row for row in self.robustness if row.network == network)

    def transfer_rate(self, source: str, target: str) -> float | None:
        """Share of the adversarial images made on `source` that `target` misclassifies (None: the attack fooled
        `source` on no image)."""
        return self.transfer[self.networks.index(source)][self.networks.index(target)]

    @property
    def transfer_has_gaps(self) -> bool:
        """Whether the attack fooled some network on no image (its row of transfer rates is None)."""
        return any(rate is None for row in self.transfer for rate in row)

    def confidence_rows(self, attack: str) -> list[ConfidenceRow]:
        """5.1's rows of one attack ("untargeted" or "targeted"), by ascending stopping confidence."""
        return sorted((row for row in self.confidence if row.attack == attack), key=lambda row: row.threshold)
