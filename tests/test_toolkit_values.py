"""The toolkit functions every reported number goes through, checked against values worked out by hand here:
the pixel scale the networks see, and the evaluation behind every accuracy, loss and confusion matrix."""

import math

import pytest
import torch
from torch import nn

from hw1.toolkit.data import to_model_input
from hw1.toolkit.training import evaluate


def test_pixels_map_onto_the_assignments_minus_one_to_one_scale():
    """0 -> -1, 255 -> 1, linearly: 51 -> -0.6, 102 -> -0.2, 153 -> 0.2, 204 -> 0.6 (x / 127.5 - 1)."""
    images = torch.tensor([[0, 51, 102, 153, 204, 255] + [0] * 22] * 28, dtype=torch.uint8).reshape(1, 28, 28)
    x = to_model_input(images)
    assert x.shape == (1, 1, 28, 28) and x.dtype == torch.float32
    expected = torch.tensor([-1.0, -0.6, -0.2, 0.2, 0.6, 1.0])
    torch.testing.assert_close(x[0, 0, 0, :6], expected, atol=1e-6, rtol=0)
    assert float(x.min()) == -1.0 and float(x.max()) == 1.0


class _Fixed(nn.Module):
    """Logits chosen by hand, one row per image (the input only says which row)."""

    def __init__(self, logits):
        super().__init__()
        self.logits = torch.tensor(logits)
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return self.logits[x.flatten(1)[:, 0].long()] + 0 * self.dummy


def test_evaluate_counts_accuracy_and_averages_the_loss_as_written_by_hand():
    logits = [[2.0, 0.0, 0.0], [0.0, 3.0, 0.0], [1.0, 0.0, 4.0], [0.0, 0.0, 0.0], [5.0, 0.0, 1.0]]
    labels = torch.tensor([0, 1, 1, 2, 0])  # row 2 predicts 2 (wrong), row 3 is a tie predicted 0 (wrong)
    images = torch.arange(5, dtype=torch.float32).reshape(5, 1, 1, 1).expand(5, 1, 2, 2).contiguous()
    loss, accuracy, predictions, probabilities = evaluate(_Fixed(logits), images, labels, batch_size=2,
                                                          channels_last=False)
    assert predictions.tolist() == [0, 1, 2, 0, 0]
    assert accuracy == pytest.approx(3 / 5)
    # Mean cross-entropy, -log softmax(z)[label], worked out per image.
    by_hand = [math.log(1 + 2 * math.exp(-2)), math.log(1 + 2 * math.exp(-3)), math.log(math.exp(1) + 1 + math.exp(4)),
               math.log(3), math.log(1 + math.exp(-5) + math.exp(-4))]
    assert loss == pytest.approx(sum(by_hand) / 5, rel=1e-6)
    torch.testing.assert_close(probabilities.sum(dim=1), torch.ones(5))
    assert float(probabilities[3, 2]) == pytest.approx(1 / 3)
