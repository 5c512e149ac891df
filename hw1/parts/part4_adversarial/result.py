"""Part 4's typed result."""

from __future__ import annotations

from dataclasses import dataclass

ADVERSARIAL = "adversarial.pt"
RETRAINED = "cnn_retrained.pt"
FINETUNED = "cnn_finetuned_adversarial.pt"  # Question 3, second reading: fine-tuned with adversarial images
FINETUNED_CONTROL = "cnn_finetuned_control.pt"  # ... and its control, fine-tuned on clean images only
RETRAINING = "retraining.pt"  # the split of the attacked test images and what was trained on and fed


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
    # Question 3, second reading (None in results saved before it):
    held_back: bool | None = None  # True: its test image is in the held-back share (never trained on)
    control_prediction: int | None = None  # the fine-tuned control's prediction on the adversarial image
    finetuned_prediction: int | None = None  # the network fine-tuned with adversarial images: its prediction


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
class FreshAttack:
    """One attack of Part 4 (same settings) made afresh against a network, on held-back test images."""

    attacked: int  # held-back test images attacked (those the network classifies correctly)
    succeeded: int  # attacks that met the stopping rule within max_steps
    success_rate: float  # succeeded / attacked
    median_steps: float  # over successful attacks (0 when none)
    median_linf: float  # input units, over successful attacks
    median_l2: float  # input units, over successful attacks


@dataclass(frozen=True)
class NetworkOnHeldBack:
    """What one network does with the held-back share of Question 3's second reading."""

    clean_accuracy: float  # on the clean test images not used in the fine-tuning (Retraining.clean_test_images)
    untargeted_accuracy: float  # on the held-back successful untargeted adversarial images (true labels)
    targeted_accuracy: float  # on the held-back successful targeted adversarial images
    targeted_hit_target: float  # share of those it classifies as the attack's target
    fresh_untargeted: FreshAttack  # the untargeted attack made afresh against this network
    fresh_targeted: FreshAttack  # the targeted attack (same targets) made afresh against this network


@dataclass(frozen=True)
class Retraining:
    """Question 3, second reading: the Part 3 network fine-tuned with adversarial images of 4.1 and 4.2 (true labels)
    added to its training data, beside a control fine-tuned the same way on clean images only."""

    share: float  # share of the attacked test images whose adversarial images were trained on
    training_test_images: int  # attacked test images in the training share
    held_back_test_images: int  # attacked test images held back (never trained on, in any form)
    adversarial_untargeted_in_training: int  # successful untargeted adversarial images of the training share
    adversarial_targeted_in_training: int  # successful targeted ones
    clean_in_training: int  # clean training images in the adversarial network's fine-tuning set
    control_clean_in_training: int  # clean training images in the control's (as many images in all)
    epochs: int  # passes over the fine-tuning set
    batch_size: int  # images per step
    max_lr: float  # peak learning rate (Adam, one-cycle)
    steps: int  # optimisation steps of each fine-tuning
    fed_untargeted: int  # held-back successful untargeted adversarial images fed to every network
    fed_targeted: int  # held-back successful targeted adversarial images fed
    clean_test_images: int  # test images the clean accuracies are measured on (all but the training share)
    fresh_attack_test_images: int  # held-back test images the fresh attacks start from (each network: those it reads right)
    original: NetworkOnHeldBack  # the Part 3 network (its fresh attacks: the Part 4 attacks on the same images)
    control: NetworkOnHeldBack  # fine-tuned from the Part 3 weights on clean images only
    finetuned: NetworkOnHeldBack  # fine-tuned from the Part 3 weights with the adversarial images added
    transfer_clean_accuracy: float  # the freshly trained network of reading (a): clean accuracy, same test images
    transfer_untargeted_accuracy: float  # the freshly trained network: accuracy on the held-back untargeted images
    transfer_targeted_accuracy: float  # the freshly trained network: accuracy on the held-back targeted images
    seconds: float  # both fine-tunings, their evaluations and the fresh attacks


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
    retraining: Retraining | None = None  # Question 3, second reading (None in results saved before it)
    artifact: str = ADVERSARIAL  # file in artifacts/ with every attacked image (adversarial.pt)
    retrained_weights: str = RETRAINED  # the retrained CNN (state_dict) in artifacts/

    @property
    def sweep_l2_grows_with_eps(self) -> bool:
        """In the step-size comparison, does the median L2 of the perturbation grow with every larger step?"""
        l2 = [row.median_l2 for row in sorted(self.eps_sweep, key=lambda row: row.eps)]
        return all(a < b for a, b in zip(l2, l2[1:]))

    @property
    def sweep_steps_fall_with_eps(self) -> bool:
        """... and does the median number of steps fall with every larger step (the text says it grows as the step
        shrinks)?"""
        steps = [row.median_steps for row in sorted(self.eps_sweep, key=lambda row: row.eps)]
        return all(a > b for a, b in zip(steps, steps[1:]))

    @property
    def target_pairs(self) -> dict:
        """Of the 90 (digit, target) pairs: how many were reached by at least one targeted attack, and how many by
        every attack on that pair (a pair never attacked counts as not reached)."""
        cells = [self.pair_success[s][t] for s in range(10) for t in range(10) if s != t]
        return {"pairs": len(cells), "reached": sum(v > 0 for v in cells), "always": sum(v >= 1 for v in cells)}

    # ----------------------------------------------------------------------------------- facts the text states
    # Each qualitative word of Part 4's text is decided here, with a margin: near a threshold the text says the
    # neutral thing. Bands are in the units of the value (shares: 0.05 is 5 percentage points).

    @property
    def grid_has_dash(self) -> bool:
        """Does the target grid draw a dash anywhere (a (digit, target) pair with no successful attack)?"""
        return any(self.pair_grid_index[s][t] < 0 for s in range(10) for t in range(10) if s != t)

    @property
    def example_visibility(self) -> list[str]:
        """Per untargeted example, how its added grey looks on the black background, from its largest pixel change
        (L-inf, input units; black is -1, white +1): 'plainly visible' at 0.5 or more (a quarter of the way to white),
        'faint' at 0.3 or less, 'dim' in between (no claim either way)."""
        return [VISIBLE if e.linf >= VISIBLE_LINF else (FAINT if e.linf <= FAINT_LINF else DIM)
                for e in self.untargeted_examples]

    @property
    def perturbation_per_pixel(self) -> str:
        """How large the untargeted attack's largest change to a pixel is (median over images): 'small' below 5% of
        the input range, 'not small' from 10%, 'moderate' in between."""
        share = self.untargeted.linf.median / 2
        return "small" if share < 0.05 else ("not small" if share >= 0.10 else "moderate")

    @property
    def transfer_share_word(self) -> str:
        """How many of the successful untargeted images also fool the freshly trained network, in words true for the
        value with a margin (`share_word`)."""
        return share_word(self.untargeted.retrained_misclassified)

    @property
    def examples_transfer(self) -> dict:
        """The worked examples of Table 8 through the freshly trained network: which transfer (it misreads the
        adversarial image), which targeted ones land on their target there, and how many would be expected to
        transfer at this run's transfer rates (the sum of each example's attack's rate)."""
        rows = ([("untargeted", k + 1, e, self.untargeted) for k, e in enumerate(self.untargeted_examples)]
                + [("targeted", k + 1, e, self.targeted) for k, e in enumerate(self.targeted_examples)])
        transfer = [f"{kind} {k}" for kind, k, e, _ in rows if e.retrained_prediction != e.label]
        kept = [f"{kind} {k}" for kind, k, e, _ in rows if e.retrained_prediction == e.label]
        on_target = [f"{kind} {k}" for kind, k, e, _ in rows if kind == "targeted" and e.retrained_prediction == e.target]
        original_right = all(e.retrained_original_prediction == e.label for _, _, e, _ in rows)
        return {"shown": len(rows), "transfer": transfer, "kept": kept, "on_target": on_target,
                "original_right": original_right,
                "expected": sum(summary.retrained_misclassified for _, _, _, summary in rows)}

    @property
    def transfer_comparison(self) -> dict:
        """The freshly trained network's transfer numbers compared, with a 5-point margin ('higher' / 'lower' /
        'about the same'): untargeted misclassified against targeted-on-target, targeted misclassified against
        untargeted misclassified; and its median confidence in its wrong untargeted answers against the stopping
        confidence ('below' under it by more than 5 points, 'above' over it by more, else 'close to'; None: no wrong
        answer)."""
        u, t = self.untargeted, self.targeted
        wrong = u.retrained_wrong_confidence_median
        return {
            "untargeted_vs_hit": compare(u.retrained_misclassified, t.retrained_hit_target or 0.0, ACCURACY_BAND),
            "targeted_vs_untargeted": compare(t.retrained_misclassified, u.retrained_misclassified, ACCURACY_BAND),
            "wrong_confidence": (None if wrong is None else
                                 "below" if wrong < STOP_CONFIDENCE - ACCURACY_BAND else
                                 "above" if wrong > STOP_CONFIDENCE + ACCURACY_BAND else "close to"),
        }

    @property
    def examples_finetuned(self) -> dict:
        """The worked examples through the two fine-tuned networks (second reading of Question 3): which are held back
        (never trained on), and which of those each network reads as the true digit."""
        rows = ([(f"untargeted {k + 1}", e) for k, e in enumerate(self.untargeted_examples)]
                + [(f"targeted {k + 1}", e) for k, e in enumerate(self.targeted_examples)])
        held = [(name, e) for name, e in rows if e.held_back]
        return {"held_back": [name for name, _ in held],
                "trained_on": [name for name, e in rows if e.held_back is False],
                "finetuned_right": [name for name, e in held if e.finetuned_prediction == e.label],
                "control_right": [name for name, e in held if e.control_prediction == e.label]}

    @property
    def finetuning(self) -> dict | None:
        """The second reading of Question 3 in words: how the network fine-tuned with adversarial images compares with
        its control (None when not computed). Accuracy on the held-back adversarial images: 'higher'/'lower' beyond
        5 points, else 'about the same'; clean accuracy: beyond 0.3 points; the fresh attack's success rate beyond
        5 points; its median L2 'larger'/'smaller' beyond a factor of 1.1."""
        r = self.retraining
        if r is None:
            return None
        f, c = r.finetuned, r.control
        return {
            "untargeted": compare(f.untargeted_accuracy, c.untargeted_accuracy, ACCURACY_BAND),
            "targeted": compare(f.targeted_accuracy, c.targeted_accuracy, ACCURACY_BAND),
            "clean": compare(f.clean_accuracy, c.clean_accuracy, CLEAN_BAND),
            "fresh_success": compare(f.fresh_untargeted.success_rate, c.fresh_untargeted.success_rate, ACCURACY_BAND),
            "fresh_targeted_success": compare(f.fresh_targeted.success_rate, c.fresh_targeted.success_rate,
                                              ACCURACY_BAND),
            "fresh_l2": ratio_word(f.fresh_untargeted.median_l2, c.fresh_untargeted.median_l2, L2_FACTOR),
            "fresh_targeted_l2": ratio_word(f.fresh_targeted.median_l2, c.fresh_targeted.median_l2, L2_FACTOR),
            # How many held-back adversarial images the control still misreads, in share words.
            "control_fooled": share_word(1 - c.untargeted_accuracy),
            "finetuned_fooled": share_word(1 - f.untargeted_accuracy),
            # Does the fresh attack still fool the fine-tuned network on most held-back images (from 60%)?
            "fresh_still_works": f.fresh_untargeted.success_rate >= 0.6,
            "fresh_mostly_fails": f.fresh_untargeted.success_rate < 0.4,
        }


STOP_CONFIDENCE = 0.9  # the assignment's stopping probability (Part4Config.confidence)
VISIBLE, DIM, FAINT = "plainly visible", "dim", "faint"
VISIBLE_LINF, FAINT_LINF = 0.5, 0.3  # L-inf bands of the visibility words (input units)
ACCURACY_BAND = 0.05  # accuracies and success rates on a few hundred images: closer than 5 points is "about the same"
CLEAN_BAND = 0.003  # clean accuracies on ~9,500 test images: closer than 0.3 points is "the same"
L2_FACTOR = 1.1  # median perturbation sizes within a factor of 1.1: "about the same"


def share_word(value: float) -> str:
    """A share in words that stay true across each band: 'most' (from 60%), 'about half' (40-60%), 'a substantial
    share' (20-40%), 'some' (10-20%), 'only a small share' (below 10%); 'all' and 'none' at exactly 100% and 0%."""
    if value >= 1:
        return "all"
    if value <= 0:
        return "none"
    if value >= 0.6:
        return "most"
    if value >= 0.4:
        return "about half"
    if value >= 0.2:
        return "a substantial share"
    if value >= 0.1:
        return "some"
    return "only a small share"


def compare(a: float, b: float, band: float) -> str:
    """'higher' / 'lower' when a differs from b by more than band, else 'about the same'."""
    return "higher" if a > b + band else ("lower" if a < b - band else "about the same")


def ratio_word(a: float, b: float, factor: float) -> str:
    """'larger' / 'smaller' when a differs from b by more than the factor, else 'about the same'."""
    if b <= 0 or a <= 0:
        return "about the same" if a == b else ("larger" if a > b else "smaller")
    return "larger" if a > b * factor else ("smaller" if a * factor < b else "about the same")
