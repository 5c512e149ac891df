"""Part 3's settings: the training recipe (TrainConfig) and what the report shows."""

from __future__ import annotations

from dataclasses import dataclass

from ...toolkit.train_config import TrainConfig


@dataclass(frozen=True)
class Part3Config(TrainConfig):
    misclassified_shown: int = 24  # how many misclassified test digits the report shows
    evals_per_epoch: int = 4  # test evaluations per epoch: enough points to say where the test curve gains

    @classmethod
    def preset(cls, quick: bool) -> "Part3Config":
        if quick:
            # Batch 64: twice the updates of the full recipe's batch for the same images, so the quick
            # network is confident enough (about 97%) that the quick attacks succeed like the real ones.
            return cls(epochs=1, train_subset=4096, test_subset=1000, evals_per_epoch=2, misclassified_shown=12,
                       batch_size=64)
        return cls()
