"""Evaluation (hw1.toolkit.training.evaluate, hw1.toolkit.networks.predict) handed a network left in
train mode: the numbers are those of eval mode (BatchNorm on its running statistics, which stay as they
were), and the network is handed back in the mode it came in."""

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from hw1.toolkit.networks import predict
from hw1.toolkit.training import evaluate


@pytest.fixture()
def model():
    """A small CNN with BatchNorm whose running statistics differ from any batch's, left in train mode."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 26 * 26, 10))
    with torch.no_grad():
        net[1].running_mean.uniform_(-0.5, 0.5)
        net[1].running_var.uniform_(0.5, 2.0)
    return net.train()


@pytest.fixture()
def batch():
    generator = torch.Generator().manual_seed(1)
    images = torch.rand(40, 1, 28, 28, generator=generator) * 2 - 1
    return images, torch.arange(40) % 10


def _eval_mode_logits(model, images):
    """The logits in eval mode, on a copy (so the model under test is not touched here)."""
    reference = copy.deepcopy(model).eval()
    with torch.no_grad():
        return reference(images)


def _state(model):
    return {name: value.clone() for name, value in model.state_dict().items()}


def test_the_model_and_batch_can_tell_the_modes_apart(model, batch):
    images, _ = batch
    with torch.no_grad():
        train_mode = copy.deepcopy(model).train()(images)
    assert not torch.allclose(train_mode, _eval_mode_logits(model, images), atol=1e-2)


def test_evaluate_uses_eval_mode_and_leaves_a_train_mode_model_as_it_was(model, batch):
    images, labels = batch
    logits = _eval_mode_logits(model, images)
    before = _state(model)
    loss, accuracy, predictions, probabilities = evaluate(model, images, labels, batch_size=16)
    torch.testing.assert_close(probabilities, torch.softmax(logits, dim=1), atol=1e-5, rtol=1e-4)
    assert loss == pytest.approx(float(F.cross_entropy(logits, labels)), rel=1e-4)
    assert torch.equal(predictions, logits.argmax(dim=1))
    assert accuracy == pytest.approx(float((logits.argmax(dim=1) == labels).float().mean()))
    assert model.training  # handed back in train mode
    for name, value in model.state_dict().items():
        assert torch.equal(value, before[name]), name  # running_mean, running_var, num_batches_tracked too


def test_evaluate_leaves_an_eval_mode_model_in_eval_mode(model, batch):
    images, labels = batch
    model.eval()
    evaluate(model, images, labels)
    assert not model.training


def test_predict_uses_eval_mode_and_leaves_a_train_mode_model_as_it_was(model, batch):
    images, _ = batch
    logits = _eval_mode_logits(model, images)
    before = _state(model)
    probabilities, predictions = predict(model, images, torch.device("cpu"))
    torch.testing.assert_close(probabilities, torch.softmax(logits, dim=1), atol=1e-5, rtol=1e-4)
    assert torch.equal(predictions, logits.argmax(dim=1))
    assert model.training
    for name, value in model.state_dict().items():
        assert torch.equal(value, before[name]), name


def test_the_learning_rate_warms_up_over_the_stated_share_of_the_steps():
    """Part 3 says the one-cycle rate 'rises from max_lr/25 to max_lr over the first 25% of the steps': the
    optimizer's rate, step by step, peaks where the config says (audit 7: PyTorch's default 30% warm-up, from a
    dropped pct_start, survived the suite)."""
    from hw1.toolkit.data import MNIST
    from hw1.toolkit.train_config import TrainConfig
    from hw1.toolkit.training import _Run

    images, labels = torch.zeros(64 * 10, 28, 28, dtype=torch.uint8), torch.zeros(64 * 10, dtype=torch.long)
    data = MNIST(images, labels, images[:64], labels[:64], "zeros")
    config = TrainConfig(epochs=10, batch_size=64, max_lr=4e-3, warmup_fraction=0.25, channels_last=False,
                         bf16_where_native=False)
    run = _Run(config, data, torch.device("cpu"), seed=0, initial=None)
    total = config.epochs * run.per_epoch  # 100 steps
    rates = []
    for _ in range(total):
        rates.append(run.optimizer.param_groups[0]["lr"])
        run.optimizer.step()
        run.schedule.step()
    assert rates[0] == pytest.approx(config.max_lr / 25)
    peak = max(range(total), key=rates.__getitem__)
    assert rates[peak] == pytest.approx(config.max_lr)
    # the warm-up phase ends at step warmup_fraction * total - 1, counted from 0 (PyTorch's OneCycleLR): step 24
    assert peak == round(config.warmup_fraction * total) - 1, (peak, total)


def test_adversarial_training_loss_weighs_the_clean_and_the_adversarial_batch():
    """The training objective of 5.2's defences (Goodfellow et al.'s mix): alpha * CE(clean) + (1 - alpha) *
    CE(adversarial), written here, with the clean logits returned for the training curves; alpha = 0 trains on
    the adversarial batch alone and returns its logits; no adversary: plain cross-entropy."""
    from hw1.toolkit.training import _loss

    torch.manual_seed(0)
    model = torch.nn.Linear(4, 3)
    x, y = torch.randn(5, 4), torch.tensor([0, 1, 2, 1, 0])
    adversary = lambda m, images, labels: images + 1.0  # noqa: E731: a stand-in attack, easy to tell apart
    ce = lambda inputs: F.cross_entropy(model(inputs), y)  # noqa: E731

    logits, loss = _loss(model, x, y, adversary, 0.3)
    assert torch.allclose(logits, model(x)) and torch.allclose(loss, 0.3 * ce(x) + 0.7 * ce(x + 1.0))
    logits, loss = _loss(model, x, y, adversary, 0.0)
    assert torch.allclose(logits, model(x + 1.0)) and torch.allclose(loss, ce(x + 1.0))
    logits, loss = _loss(model, x, y, None, 0.5)
    assert torch.allclose(logits, model(x)) and torch.allclose(loss, ce(x))


def test_training_steps_run_in_train_mode_and_evaluations_in_eval_mode():
    """train_cnn, spied on: every forward that builds a graph (a training step) runs with BatchNorm in train mode,
    also after each mid-epoch test evaluation, and every test evaluation runs in eval mode without a graph; one
    optimiser step per batch (the last, smaller batch included); BatchNorm's running statistics move; the network
    comes back in eval mode (audit 13: training in eval mode only showed as a crash elsewhere)."""
    from hw1.toolkit.data import MNIST
    from hw1.toolkit.models import Table1CNN
    from hw1.toolkit.train_config import TrainConfig
    from hw1.toolkit.training import train_cnn

    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (100, 28, 28), dtype=torch.uint8, generator=generator)
    labels = torch.randint(0, 10, (100,), generator=generator)
    data = MNIST(images, labels, images[:30], labels[:30], "random")
    config = TrainConfig(epochs=2, batch_size=32, evals_per_epoch=2, channels_last=False, bf16_where_native=False)
    calls, steps = [], []  # (train mode?, building a graph?) per forward; one entry per optimiser step
    original_forward, original_step = Table1CNN.forward, torch.optim.Adam.step

    def forward(self, x):
        calls.append((self.training, torch.is_grad_enabled()))
        return original_forward(self, x)

    def step(self, *args, **kwargs):
        steps.append(1)
        return original_step(self, *args, **kwargs)

    torch.manual_seed(0)
    initial = Table1CNN().state_dict()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Table1CNN, "forward", forward)
        patch.setattr(torch.optim.Adam, "step", step)
        model, history = train_cnn(config, data, torch.device("cpu"), seed=0, initial=initial)
    batches = 2 * -(-100 // 32)  # 4 batches per epoch (32, 32, 32, 4), two epochs
    assert len(steps) == len(history.iteration_loss) == batches == 8
    training = [mode for mode, graph in calls if graph]
    evaluating = [mode for mode, graph in calls if not graph]
    assert training == [True] * batches, training
    assert len(evaluating) == len(history.test_accuracy) == 4 and not any(evaluating), evaluating
    assert not model.training
    for name in (k for k in initial if k.endswith(("running_mean", "running_var"))):
        assert not torch.equal(model.state_dict()[name], initial[name]), name
