"""Part 2's typed result."""

from __future__ import annotations

import math
from dataclasses import dataclass

ARTIFACT = "part2.npz"
WEIGHTS = "xor_tanh.pt"
XOR_LABELS = (0, 1, 1, 0)  # of the inputs (0,0), (0,1), (1,0), (1,1)
NEAR_LABEL = 0.01  # an output this close to its label counts as right (the course autograder's isclose)


@dataclass(frozen=True)
class ScanRow:
    """One (learning rate, initial weight spread) setting of the scan, over the study's seeds."""

    learning_rate: float  # gradient-descent step size
    init_std: float  # standard deviation of the initial weights
    solved: int  # seeds that solve XOR with tanh
    seeds: int  # seeds trained


@dataclass(frozen=True)
class StuckSeed:
    """A tanh seed that did not solve XOR, and what it is stuck in (measured at the snapshot steps)."""

    seed: int  # the seed
    loss: list[float]  # at each snapshot step
    grad_norm: list[float]  # gradient norm at each snapshot step
    weight_norm: list[float]  # weight norm at each snapshot step
    saturation: list[float]  # share of hidden activations with |h| > 0.99, at each snapshot step
    outputs: list[float]  # outputs on (0,0), (0,1), (1,0), (1,1) at the end
    grad_shrinking: bool  # did the gradient norm fall between the last two snapshots?
    weight_growing: bool  # did the weight norm grow between the last two snapshots?
    hessian_min_eigenvalue: float  # of the loss at the end (negative: a saddle, not a minimum)
    hessian_max_eigenvalue: float  # largest eigenvalue of the loss's Hessian at the end
    longer_loss: float  # loss after escape_steps more steps
    longer_grad_norm: float  # gradient norm after escape_steps more steps
    longer_weight_norm: float  # weight norm after escape_steps more steps
    longer_solved: bool  # did the longer training solve XOR?
    nudges_solved: int  # of the small random nudges (then the same continuation), how many solved XOR
    nudges_best_loss: float  # lowest loss any nudge reached


@dataclass(frozen=True)
class DecisionRegions:
    """How the final network's decision regions (output > 0.5: label 1) sit over the plotted input square."""

    regions_per_label: list[int]  # [label 0, label 1]: connected regions (4-neighbour, on the grid)
    same_region: list[bool]  # [label 0, label 1]: do that label's two inputs lie in one region?
    band_label: int | None  # the label whose inputs share a band between two boundaries (None: another shape)


@dataclass(frozen=True)
class Part2Result:
    learning_rate: float  # the step size used (= config.learning_rate)
    steps: int  # gradient steps trained (= config.steps)
    reported_seed: int  # the seed of the reported (and saved) network: the first seed from --seed on that solves XOR
    seeds_tried: int  # how many seeds, counting from --seed, were trained to find it (1: --seed itself solved)
    final_loss: float  # binary cross-entropy of the reported network at the end
    final_outputs: list[float]  # sigmoid output on (0,0), (0,1), (1,0), (1,1)
    solved: bool  # does it solve XOR (every output within confident of its label)?
    identity_final_loss: float  # the same network without activation (identity hidden layer): final loss
    identity_final_outputs: list[float]  # ... its outputs on (0,0), (0,1), (1,0), (1,1)
    identity_solved: bool  # ... does it solve XOR?
    best_linear_loss: float  # log 2: the lowest loss any affine model reaches on XOR
    snapshot_steps: list[int]  # the steps of the snapshots
    snapshot_loss: list[float]  # loss at each snapshot
    snapshot_hidden: list[list[list[float]]]  # (S, 4, 2): (h1, h2) of each input at each snapshot
    snapshot_w2: list[list[float]]  # (S, 2) output-layer weights
    snapshot_b2: list[float]  # (S,) output-layer bias
    snapshot_outputs: list[list[float]]  # (S, 4)
    identity_snapshot_hidden: list[list[list[float]]]  # (S, 4, 2): hidden values of the network without activation at each snapshot
    identity_snapshot_w2: list[list[float]]  # (S, 2): its output-layer weights
    identity_snapshot_b2: list[float]  # (S,): its output-layer bias
    robustness_seeds: list[int]  # the study's seeds (from --seed on)
    robustness_tanh_solved: list[bool]  # per study seed: does the tanh network solve XOR?
    robustness_tanh_loss: list[float]  # per study seed: its final loss
    robustness_identity_solved: list[bool]  # per study seed: does the network without activation solve XOR?
    robustness_identity_loss: list[float]  # per study seed: its final loss
    scan: list[ScanRow]  # per (learning_rate, init_std): seeds that solve XOR with tanh
    course_check_outputs: list[float]  # the saved float32 XorNet called like the course's autograder
    course_check_pass: list[bool]  # |output - label| <= 0.01 on each input (the autograder's isclose)
    solved_grad_norm_median: float  # gradient norm at the end, median over the seeds that solved XOR
    stuck: list[StuckSeed]  # one per tanh seed of the study that did not solve XOR
    # Facts the written answers state, computed from the reported network (see hw1/claims.py):
    snapshot_separable: list[bool]  # at each snapshot: can one line separate the hidden images of the two labels?
    snapshot_classified: list[bool]  # at each snapshot: is every output on its label's side of 0.5?
    initial_hidden_max_abs: float  # largest |h| of the four inputs at step 0 (tanh saturates towards 1)
    final_regions: DecisionRegions  # the input-plane decision regions at the end
    artifact: str = ARTIFACT  # file in artifacts/ with the curves and decision grids
    weights: str = WEIGHTS  # the saved XorNet (state_dict) in artifacts/

    @property
    def separable_from_step(self) -> int | None:
        """The first snapshot step at which a line separates the labels in the hidden plane (None: never)."""
        return next((step for step, ok in zip(self.snapshot_steps, self.snapshot_separable) if ok), None)

    @property
    def classified_from_step(self) -> int | None:
        """The first snapshot step at which every output is on its label's side of 0.5 (None: never)."""
        return next((step for step, ok in zip(self.snapshot_steps, self.snapshot_classified) if ok), None)

    @property
    def near_label(self) -> float:
        """NEAR_LABEL: how close to its label an output must be to count as right."""
        return NEAR_LABEL

    @property
    def outputs_near_labels(self) -> tuple[int, int]:
        """(tanh network, network without activation): how many of the four final outputs lie within NEAR_LABEL
        of their label (the outputs table's last row)."""
        return tuple(sum(abs(o - y) <= NEAR_LABEL for o, y in zip(outputs, XOR_LABELS))
                     for outputs in (self.final_outputs, self.identity_final_outputs))

    @property
    def final_corner_groups(self) -> list[tuple[tuple[int, int], list[int]]]:
        """The inputs (indices 0-3 into (0,0), (0,1), (1,0), (1,1)) grouped by the corner of [-1, 1]^2 nearest
        to their hidden image at the last snapshot: [((sign h1, sign h2), [inputs]), ...]."""
        groups: dict[tuple[int, int], list[int]] = {}
        for i, (h1, h2) in enumerate(self.snapshot_hidden[-1]):
            groups.setdefault((1 if h1 > 0 else -1, 1 if h2 > 0 else -1), []).append(i)
        return sorted(groups.items())

    @property
    def corner_gap(self) -> float:
        """Largest distance (per coordinate) of a final hidden image from its nearest corner of [-1, 1]^2."""
        return max(1 - abs(v) for h in self.snapshot_hidden[-1] for v in h)

    # ----------------------------------------------------------------- what the sentences of 2.2 decide
    # A bound rounds outward (an upper bound up, a lower bound down) at the precision the text prints it,
    # so the printed number is still a bound; a qualitative word has a margin around its threshold.

    @property
    def initial_hidden_bound(self) -> float:
        """An upper bound on every |h| at step 0, rounded up to 2 decimals (0.2528 -> 0.26)."""
        return round_up(self.initial_hidden_max_abs, decimals=2)

    @property
    def start_near_affine(self) -> bool | None:
        """Does the hidden layer start close to an affine map (every |h| < 0.45, where tanh(u) is within 7%
        of u)? False when some |h| > 0.55 (tanh's curved range); None in between: no claim either way."""
        if self.initial_hidden_max_abs < NEAR_AFFINE - MARGIN:
            return True
        if self.initial_hidden_max_abs > NEAR_AFFINE + MARGIN:
            return False
        return None

    @property
    def corner_gap_bound(self) -> float:
        """An upper bound on every final hidden coordinate's distance from its corner, rounded up to 2 decimals."""
        return round_up(self.corner_gap, decimals=2)

    @property
    def final_at_corners(self) -> bool:
        """Do the final hidden images sit at the corners of [-1, 1]^2 (every coordinate within 0.1 of its corner)?
        The sentence otherwise says "towards" them, with the bound: true either side of 0.1."""
        return self.corner_gap < 0.1

    @property
    def stuck_just_above_half_log2(self) -> bool:
        """Do all failing seeds end just above (1/2) log 2, within 0.01 (otherwise the text compares without the word)?"""
        half = self.best_linear_loss / 2
        losses = [d.loss[-1] for d in self.stuck]
        return min(losses) > half and max(losses) < half + 0.01

    @property
    def stuck_curvature(self) -> str:
        """The sign of the Hessian's smallest eigenvalue over the failing seeds: "positive, tiny" (every one
        positive and below 1% of the largest eigenvalue), "positive", "negative" (every one) or "mixed"."""
        smallest = [d.hessian_min_eigenvalue for d in self.stuck]
        largest = max(d.hessian_max_eigenvalue for d in self.stuck)
        if min(smallest) > 0:
            return "positive, tiny" if max(smallest) < 0.01 * largest else "positive"
        return "negative" if max(smallest) < 0 else "mixed"

    @property
    def stuck_grad_norm_bound(self) -> float:
        """Upper bound on the failing seeds' final gradient norms, rounded up to 2 significant digits."""
        return round_up(max(d.grad_norm[-1] for d in self.stuck), significant=2)

    @property
    def stuck_max_eigenvalue_bound(self) -> float:
        """Upper bound on the failing seeds' largest Hessian eigenvalues ("up to"), rounded up to 2 significant digits."""
        return round_up(max(d.hessian_max_eigenvalue for d in self.stuck), significant=2)

    @property
    def stuck_longer_loss_bound(self) -> float:
        """Lower bound on the failing seeds' loss after the longer training ("no lower than"), rounded down to 5 decimals."""
        return round_down(min(d.longer_loss for d in self.stuck), decimals=5)

    @property
    def stuck_longer_grad_norm_bound(self) -> float:
        """Upper bound on their gradient norms after the longer training, rounded up to 2 significant digits."""
        return round_up(max(d.longer_grad_norm for d in self.stuck), significant=2)

    @property
    def stuck_weight_norm_bound(self) -> float:
        """Lower bound on the failing seeds' final weight norms, rounded down to 1 decimal (13.18 -> 13.1)."""
        return round_down(min(d.weight_norm[-1] for d in self.stuck), decimals=1)

    @property
    def identity_never_below_log2(self) -> bool:
        """No seed of the network without activation ends below log 2 (beyond float rounding, 1e-9)."""
        return min(self.robustness_identity_loss) >= self.best_linear_loss - 1e-9


NEAR_AFFINE, MARGIN = 0.5, 0.05  # |h| at step 0: the threshold of "close to an affine map", and its no-claim band


def _step(value: float, decimals: int | None, significant: int | None) -> float:
    if decimals is not None:
        return 10.0 ** -decimals
    if value == 0:
        return 1.0
    return 10.0 ** (math.floor(math.log10(abs(value))) - significant + 1)


def round_up(value: float, decimals: int | None = None, significant: int | None = None) -> float:
    """The smallest number at that precision that is >= value (an upper bound stays one when printed)."""
    step = _step(value, decimals, significant)
    rounded = round(math.ceil(round(value / step, 9)) * step, 12)
    return rounded if rounded >= value else rounded + step


def round_down(value: float, decimals: int | None = None, significant: int | None = None) -> float:
    """The largest number at that precision that is <= value (a lower bound stays one when printed)."""
    step = _step(value, decimals, significant)
    rounded = round(math.floor(round(value / step, 9)) * step, 12)
    return rounded if rounded <= value else rounded - step
