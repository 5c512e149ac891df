"""Part 5.2's bounded evaluation and budgeted defence: the one-sided PGD finds exactly the images a
budget can fool on a network whose answer is known, keeps to the assignment's constraint, and the saved
defended network's robust accuracy is re-derived here with an attack written in this file."""

import json

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from hw1.toolkit.attacks import APGD, BoundedEvaluation, OneSidedPGD, SignPGD, dlr_loss, noisy_fgsm, random_start_fgsm
from hw1.toolkit.data import to_model_input
from hw1.toolkit.models import Table1CNN
from hw1.toolkit.training import RobustnessGuard

from helpers import report_folder


class Threshold(nn.Module):
    """Class 1 when pixel (0, 0) exceeds 0, else class 0: a budget b fools a class-0 image with pixel p iff p + b > 0."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(10.0))

    def forward(self, x):
        z = self.scale * x.flatten(1)[:, :1]
        return torch.cat([-z, z], dim=1)


def test_one_sided_pgd_fools_exactly_the_images_the_budget_allows():
    p = torch.tensor([-1.0, -0.7, -0.45, -0.25, -0.05])  # pixel (0, 0) of five class-0 images
    images = torch.full((5, 1, 28, 28), -1.0)
    images[:, 0, 0, 0] = p
    labels = torch.zeros(5, dtype=torch.int64)
    budgets = [0.1, 0.3, 0.6, 1.0]
    mask = OneSidedPGD(Threshold(), steps=20, step_fraction=0.1).robust_mask(images, labels, budgets)
    expected = torch.stack([p + b <= 0 for b in budgets])
    assert torch.equal(mask, expected)
    # Monotone in the budget: robust at a larger budget implies robust at every smaller one.
    assert (mask[1:] <= mask[:-1]).all()


def test_one_sided_pgd_cannot_subtract_nor_leave_the_range():
    """A network fooled only by darkening (class 1 when the pixel drops below 0.5) or by a pixel above 1 is never fooled."""

    class Darken(Threshold):
        def forward(self, x):
            z = self.scale * (0.5 - x.flatten(1)[:, :1]) + 100 * F.relu(x.flatten(1)[:, :1] - 1.0)
            return torch.cat([-z, z], dim=1)

    images = torch.full((3, 1, 28, 28), -1.0)
    images[:, 0, 0, 0] = torch.tensor([0.6, 0.9, 1.0])
    labels = torch.zeros(3, dtype=torch.int64)
    mask = OneSidedPGD(Darken(), steps=10).robust_mask(images, labels, [0.5, 2.0])
    assert mask.all()


def test_training_attack_stays_in_the_one_sided_box_and_leaves_the_network_alone():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 10)).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    images = torch.rand(8, 1, 28, 28) * 2 - 1
    images[0] = 1.0
    labels = torch.arange(8)
    for steps, step in ((1, 0.875), (3, 0.35)):
        adversarial = random_start_fgsm(model, images, labels, 0.7, step, steps, torch.Generator().manual_seed(1))
        delta = adversarial - images
        assert (delta >= 0).all() and (delta <= 0.7 + 1e-6).all() and adversarial.max() <= 1
        assert torch.equal(adversarial[0], images[0])
        assert delta.abs().sum() > 0
    assert model.training
    for name, value in model.state_dict().items():
        assert torch.equal(value, before[name]), name


def test_guard_restores_the_best_weights_and_stops_on_a_collapse():
    model = Threshold()
    images = torch.full((4, 1, 28, 28), -1.0)
    labels = torch.zeros(4, dtype=torch.int64)
    guard = RobustnessGuard(images, labels, budget=0.5, steps=5, collapse=0.2)
    assert guard(model) is False and guard.history == [1.0]
    with torch.no_grad():
        model.scale.fill_(-10.0)  # now every image is misclassified: robust accuracy 0
    assert guard(model) is True and guard.collapsed
    assert float(model.scale.detach()) == 10.0  # the best weights are back



def test_the_guard_checks_held_out_training_images_the_defence_never_trains_on(monkeypatch):
    """5.2 calls the guard's images held out: none may be among the images the defended network trains on, and
    none may be a test image (the report's robust accuracy is measured there)."""
    import dataclasses

    import hw1.toolkit.training as training
    from hw1.parts.part5_beyond.config import Part5Config
    from hw1.parts.part5_beyond.defence import train_defended
    from hw1.toolkit.data import MNIST

    # 40 training images, each filled with its own index, so an image's content names it.
    n, held = 40, 8
    train = torch.arange(n, dtype=torch.uint8)[:, None, None].expand(n, 28, 28).contiguous()
    data = MNIST(train_images=train, train_labels=torch.arange(n) % 10,
                 test_images=torch.full((5, 28, 28), 200, dtype=torch.uint8), test_labels=torch.zeros(5, dtype=torch.int64),
                 source="made up in the test")
    seen = {}

    class RecordingGuard:
        def __init__(self, images, labels, *args, **kwargs):
            seen["guard"] = images.detach().cpu()

    def recording_train_cnn(recipe, data, *args, **kwargs):
        seen["trained_on"] = data.train_images.clone()
        return None, None

    monkeypatch.setattr(training, "RobustnessGuard", RecordingGuard)
    monkeypatch.setattr(training, "train_cnn", recording_train_cnn)
    config = dataclasses.replace(Part5Config.preset(quick=True), guard_images=held)
    train_defended(config, data, torch.device("cpu"), seed=0, initial=None)

    guard_ids = set(((seen["guard"][:, 0, 0, 0] + 1) * 127.5).round().long().tolist())  # back from [-1, 1]
    trained_ids = set(seen["trained_on"][:, 0, 0].long().tolist())
    assert len(guard_ids) == held, "the guard must check the configured number of distinct images"
    assert not guard_ids & trained_ids, f"guard images {sorted(guard_ids & trained_ids)} are also trained on"
    assert guard_ids | trained_ids == set(range(n)), "every training image is either trained on or held out"
    assert 200 not in guard_ids, "the guard must not check test images"

def _independent_robust_accuracy(model, x, y, budget, steps, step_size, seed):
    """Robust accuracy under one-sided PGD, written here from the definition (not the product's code)."""
    upper = torch.clamp(1.0 - x, max=budget)
    with torch.no_grad():
        robust = model(x).argmax(1) == y
    for start in ("zero", "random"):
        torch.manual_seed(seed)
        delta = torch.zeros_like(x) if start == "zero" else torch.rand_like(x) * upper
        for _ in range(steps + 1):
            delta.requires_grad_(True)
            logits = model(x + delta)
            robust &= (logits.argmax(1) == y).detach()
            loss = F.cross_entropy(logits, y, reduction="sum")
            (g,) = torch.autograd.grad(loss, delta)
            delta = torch.min(torch.clamp(delta.detach() + step_size * g.sign(), min=0.0), upper)
    return float(robust.float().mean())



@pytest.mark.slow
def test_saved_defended_network_robust_accuracy_is_rederived_independently(request, mnist):
    out = report_folder(request)
    r5 = json.loads((out / "results.json").read_text())["parts"]["part5"]["result"]
    settings = r5["robust_settings"]
    curve = next(row for row in r5["robustness"] if row["network"] == "adversarially trained")
    budget = settings["headline"] if settings["headline"] in curve["budgets"] else curve["budgets"][-1]
    saved = curve["robust"][curve["budgets"].index(budget)]
    model = Table1CNN()
    model.load_state_dict(torch.load(out / "artifacts" / "cnn_adversarially_trained.pt", weights_only=True))
    model.eval()
    n = min(300, settings["images"])
    x, y = to_model_input(mnist.test_images[:n]), mnist.test_labels[:n]
    mine = _independent_robust_accuracy(model, x, y, budget, settings["steps"], budget * settings["step_fraction"], 0)
    # The saved number is the worst case over PGD and the APGD attacks after it; this file's PGD alone (two starts)
    # can only find fewer adversarial images than all of them, and at most those the run's PGD found plus those its
    # later attacks found first at this budget or a smaller one. A subset of the saved images and other random
    # starts: a few points either way.
    k = curve["budgets"].index(budget)
    later = sum(sum(row[1:]) for row in curve["first_fooled"][: k + 1]) / curve["images"]
    assert saved - 0.06 <= mine <= saved + later + 0.06, (mine, saved, later)
    assert r5["defended_weights"] == "cnn_adversarially_trained.pt" and r5["goodfellow_weights"] != r5["defended_weights"]
    assert (out / "artifacts" / r5["goodfellow_weights"]).is_file()


# ------------------------------------------------------------------ APGD and the bounded evaluation

class Digits(nn.Module):
    """Ten classes from a linear map of the image: fooling needs many pixels to move (a small 'network of our own')."""

    def __init__(self, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.linear = nn.Linear(784, 10)
        self.seen: list[torch.Tensor] = []

    def forward(self, x):
        self.seen.append(x.detach().clone())
        return 20 * self.linear(x.flatten(1))


@pytest.mark.parametrize("attack", [APGD("ce", 30), APGD("dlr", 30), SignPGD(10, 0.1, True)], ids=lambda a: a.name)
def test_every_bounded_attack_stays_in_the_one_sided_box(attack):
    model = Digits()
    images = torch.rand(12, 1, 28, 28) * 2 - 1
    images[0] = 1.0  # no pixel may move at all
    labels = model(images).argmax(1)
    for budget in (0.3, 0.8):
        model.seen.clear()
        attack.fooled(model, images, labels, budget, torch.Generator().manual_seed(0), False)
        assert model.seen
        for seen in model.seen:  # every image the network was shown, at every iterate
            x = images[:len(seen)] if len(seen) == len(images) else None
            if x is None:
                continue  # fooled images left the batch: the full-batch passes suffice for the check
            delta = seen - x
            assert (delta >= -1e-6).all() and (delta <= budget + 1e-6).all() and seen.max() <= 1 + 1e-6


def test_apgd_fools_exactly_the_images_the_budget_allows():
    p = torch.tensor([-1.0, -0.7, -0.45, -0.25, -0.05])
    images = torch.full((5, 1, 28, 28), -1.0)
    images[:, 0, 0, 0] = p
    labels = torch.zeros(5, dtype=torch.int64)
    budgets = [0.1, 0.3, 0.6, 1.0]
    mask = BoundedEvaluation(Threshold(), [APGD("ce", 25)]).robust_mask(images, labels, budgets)
    assert torch.equal(mask, torch.stack([p + b <= 0 for b in budgets]))


def test_dlr_loss_is_the_papers_formula_and_scale_invariant():
    logits = torch.tensor([[3.0, 1.0, 0.5, -2.0], [0.0, 4.0, 2.0, 1.0]])
    labels = torch.tensor([0, 0])
    # -(z_y - max_{i != y} z_i) / (z_pi1 - z_pi3): first row y is the top class, second it is not.
    expected = torch.tensor([-(3.0 - 1.0) / (3.0 - 0.5), -(0.0 - 4.0) / (4.0 - 1.0)])
    assert torch.allclose(dlr_loss(logits, labels), expected)
    assert torch.allclose(dlr_loss(5 * logits + 7, labels), expected)


class _Counting:
    """A stand-in attack that fools the images listed for each budget and records what it was asked to attack."""

    def __init__(self, name, fools):
        self.name, self.fools, self.asked = name, fools, []

    def fooled(self, model, x, y, budget, generator, channels_last):
        ids = x.flatten(1)[:, 0].round().long()  # pixel (0, 0) carries the image's id
        self.asked.append((budget, sorted(ids.tolist())))
        return torch.tensor([int(i) in self.fools.get(budget, ()) for i in ids])


def test_evaluation_attacks_only_what_is_still_robust():
    images = torch.zeros(6, 1, 28, 28)
    images[:, 0, 0, 0] = torch.arange(6).float()
    labels = torch.zeros(6, dtype=torch.int64)

    class AlwaysZero(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(()))

        def forward(self, x):
            return torch.cat([torch.ones(len(x), 1), torch.zeros(len(x), 1)], dim=1) + self.w

    first = _Counting("first", {0.3: {1}, 0.6: {2}})
    second = _Counting("second", {0.3: {3}, 0.6: {4}})
    evaluation = BoundedEvaluation(AlwaysZero(), [first, second])
    mask = evaluation.robust_mask(images, labels, [0.3, 0.6])
    assert first.asked == [(0.3, [0, 1, 2, 3, 4, 5]), (0.6, [0, 2, 4, 5])]  # never again what 0.3 fooled
    assert second.asked == [(0.3, [0, 2, 3, 4, 5]), (0.6, [0, 4, 5])]  # only what the first attack missed
    assert mask.tolist() == [[True, False, True, False, True, True], [True, False, False, False, False, True]]
    assert evaluation.first_fooled == [[1, 1], [1, 1]]


def test_n_fgsm_keeps_the_assignments_constraint_but_not_the_budget():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.ReLU(), nn.Linear(16, 10))
    images = torch.rand(32, 1, 28, 28) * 2 - 1
    images[0] = 1.0
    labels = torch.arange(32) % 10
    adversarial = noisy_fgsm(model, images, labels, 0.3, noise=2.0, step=1.0, generator=torch.Generator().manual_seed(0))
    delta = adversarial - images
    assert (delta >= 0).all() and adversarial.max() <= 1 and torch.equal(adversarial[0], images[0])
    assert delta.max() <= 0.9 + 1e-6  # noise up to 2 budgets, one step of one budget
    assert delta.max() > 0.3  # not clipped back to the budget


def test_each_pgd_is_named_after_the_start_it_takes():
    """5.2 names its PGD, start included ("PGD-40 (zero start)"), in the text and the front page. 200 class-0 images
    with pixel -0.3 need delta > 0.3 there; one sign step of 0.06 from zero never gets that far, while a start uniform
    in [0, 0.6] often does: the attack that fools none must be the one named "zero start"."""
    images = torch.full((200, 1, 28, 28), -1.0)
    images[:, 0, 0, 0] = -0.3
    labels = torch.zeros(200, dtype=torch.int64)
    for random_start in (False, True):
        attack = SignPGD(steps=1, step_fraction=0.1, random_start=random_start)
        fooled = attack.fooled(Threshold(), images, labels, 0.6, torch.Generator().manual_seed(0), False)
        started_at_zero = not fooled.any()
        assert started_at_zero == (not random_start)  # the behaviour, whatever the name says
        assert attack.name == f"PGD-1 ({'zero' if started_at_zero else 'random'} start)", attack.name


def test_pgd_drops_images_fooled_at_its_last_step():
    """An image first fooled at the last iterate leaves the batch with the others still in it (no gradient there)."""
    p = torch.tensor([-1.0, -0.58, -0.05])  # fooled by b = 0.6 only at the end of the climb, never, at once
    images = torch.full((3, 1, 28, 28), -1.0)
    images[:, 0, 0, 0] = p
    labels = torch.zeros(3, dtype=torch.int64)
    fooled = SignPGD(steps=10, step_fraction=0.1).fooled(Threshold(), images, labels, 0.6, None, False)
    assert fooled.tolist() == [False, True, True]


def test_pgd_steps_are_the_stated_fraction_of_the_budget():
    """5.2's PGD climbs in sign steps of budget * step_fraction: at b = 0.5 and 0.1, steps of 0.05, so an image
    that needs 0.175 (pixel -0.175 against Threshold's 0) is fooled after 4 steps (0.20) and not after 3 (0.15);
    steps of 0.1 would fool it after 2."""
    images = torch.full((1, 1, 28, 28), -1.0)
    images[0, 0, 0, 0] = -0.175
    labels = torch.zeros(1, dtype=torch.int64)
    for steps, fooled in ((2, False), (3, False), (4, True)):
        found = SignPGD(steps=steps, step_fraction=0.1).fooled(Threshold(), images, labels, 0.5, None, False)
        assert found.tolist() == [fooled], f"PGD-{steps} at b = 0.5: fooled {found.tolist()}, expected {fooled}"


def _mlp_trained(mnist, single_step_eps: float | None, steps: int = 600):
    """A 784-256-10 ReLU network of our own, trained with Adam on 20,000 training images; with `single_step_eps`,
    Goodfellow et al.'s objective (half clean, half one constrained sign step of that size, no budget), as 5.2's
    single-step network is trained, only smaller and shorter."""
    from hw1.toolkit.attacks import constrained_fgsm

    torch.manual_seed(0)
    x_all, y_all = to_model_input(mnist.train_images[:20000]), mnist.train_labels[:20000]
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    optimiser = torch.optim.Adam(model.parameters(), 1e-3)
    generator = torch.Generator().manual_seed(0)
    for _ in range(steps):
        index = torch.randint(0, len(x_all), (128,), generator=generator)
        x, y = x_all[index], y_all[index]
        loss = F.cross_entropy(model(x), y)
        if single_step_eps is not None:
            loss = 0.5 * loss + 0.5 * F.cross_entropy(model(constrained_fgsm(model, x, y, single_step_eps)), y)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return model.eval()


@pytest.mark.slow
def test_apgd_finds_at_least_what_pgd_finds_and_more_on_a_single_step_network(mnist):
    x, y = to_model_input(mnist.test_images[:500]), mnist.test_labels[:500]
    pgd = [SignPGD(40, 0.1, False), SignPGD(40, 0.1, True)]  # the old evaluation: PGD-40, two starts
    apgd = [APGD("ce"), APGD("dlr")]
    # A network of our own, trained on clean images only.
    plain = _mlp_trained(mnist, None, steps=300)
    # On a clean-trained network both attacks fool almost the same images; PGD's second (zero) start can win a
    # handful by luck (seen: 354 vs 352 of 500 in another process, where float reductions ran differently), so
    # "at least as many" is asserted up to 1% of the batch here, and strictly, with a margin, where it matters below.
    for budget in (0.1, 0.2):
        by_pgd = BoundedEvaluation(plain, pgd).robust_mask(x, y, [budget])[0]
        by_apgd = BoundedEvaluation(plain, apgd).robust_mask(x, y, [budget])[0]
        assert by_apgd.sum() <= by_pgd.sum() + len(x) // 100, (budget, int(by_apgd.sum()), int(by_pgd.sum()))
    # A single-step-trained network at a budget where it is partly robust: APGD fools strictly more.
    single = _mlp_trained(mnist, 0.6)
    budget = 0.4
    by_pgd = BoundedEvaluation(single, pgd).robust_mask(x, y, [budget])[0]
    by_apgd = BoundedEvaluation(single, apgd).robust_mask(x, y, [budget])[0]
    assert 0.3 < by_pgd.float().mean() < 0.95  # partly robust
    assert by_apgd.sum() < by_pgd.sum(), (int(by_apgd.sum()), int(by_pgd.sum()))
    # And the ensemble (PGD, then APGD on what PGD missed) is never weaker than its PGD alone: later attacks only
    # remove robust images. Against APGD run on every image it can differ by a few (APGD's random starts fall
    # differently on a smaller batch: seen 354 vs 352 of 500), so that comparison allows 1% of the batch.
    first = BoundedEvaluation(single, [pgd[0]]).robust_mask(x, y, [budget])[0]
    both = BoundedEvaluation(single, [pgd[0], *apgd]).robust_mask(x, y, [budget])[0]
    assert both.sum() <= first.sum() and (both <= first).all()
    assert both.sum() <= by_apgd.sum() + len(x) // 100, (int(both.sum()), int(by_apgd.sum()))


def test_the_universal_random_control_stays_within_the_budget_with_at_most_vs_l2(monkeypatch, tmp_path):
    """5.3's control: non-negative noise scaled to the L2 norm of v, then clipped to the same L-inf budget (the text
    says so, and 'its L2 is at most that of v'). Run on a tiny network with one full-budget step, so that the scaled
    noise exceeds the budget on some pixels and the clipping matters; every control is checked here."""
    import dataclasses

    import hw1.parts.part5_beyond.compute as compute
    from hw1.parts.part5_beyond.config import Part5Config
    from hw1.toolkit.data import MNIST
    from hw1.toolkit.runtime import RunContext

    torch.manual_seed(0)
    model = Table1CNN().eval()
    seen = []  # every perturbation measured: v, then its random control, per budget

    def recording_predictions(network, test_x, v, device):
        seen.append(v.detach().clone())
        return torch.zeros(len(test_x), dtype=torch.int64)

    monkeypatch.setattr(compute, "_perturbed_predictions", recording_predictions)
    config = dataclasses.replace(Part5Config.preset(quick=True), universal_budgets=(0.25, 0.5),
                                 universal_headline=0.5, universal_steps=1, universal_batch=8,
                                 universal_step_fraction=1.0)
    images = torch.randint(0, 256, (16, 28, 28), dtype=torch.uint8)
    data = MNIST(train_images=images, train_labels=torch.arange(16) % 10, test_images=images[:4],
                 test_labels=torch.zeros(4, dtype=torch.int64), source="made up in the test")
    ctx = RunContext(device=torch.device("cpu"), seed=0, out_dir=tmp_path, data_dir=tmp_path)
    (tmp_path / "artifacts").mkdir(exist_ok=True)
    test_x = to_model_input(images[:4])
    clean = {"original": torch.zeros(4, dtype=torch.int64)}
    rows, _ = compute._universal_study(config, ctx, data, {"original": model}, test_x, clean, test_x, torch.zeros(4))
    for k, budget in enumerate(config.universal_budgets):
        v, control = seen[2 * k], seen[2 * k + 1]
        assert control.min() >= 0, "the control must never erase ink"
        assert control.max() <= budget + 1e-6, f"control reaches {float(control.max()):.3f} past the budget {budget}"
        assert float(control.norm()) <= float(v.norm()) + 1e-5, "the control's L2 must be at most that of v"
        assert float(control.norm()) < float(v.norm()) - 1e-3, "here the clipping must bite (the test's premise)"
        assert rows[k].random_l2 == pytest.approx(float(control.norm()), rel=1e-6)


def test_apgd_iterates_follow_croce_and_heins_momentum_update_written_here():
    """APGD's update delta' = P(delta + a (z - delta) + (1 - a)(delta - delta_prev)), z = P(delta + eta sign(g)),
    replayed by hand on a network whose input gradient has a known sign (+1 on every pixel) and which never
    misreads (so no image leaves the batch): the iterates the network sees must be the formula's. A momentum term
    of the wrong sign (delta_prev - delta) survived the suite in audit 6."""

    class Recorder(nn.Module):
        def __init__(self):
            super().__init__()
            self.seen = []

        def forward(self, inputs):
            self.seen.append(inputs.detach().clone())
            total = inputs.flatten(1).sum(dim=1, keepdim=True)  # the loss of class 0 grows with every pixel
            return torch.cat([torch.zeros_like(total), 0.01 * total], dim=1)

    x, y, budget = -torch.ones(3, 1, 28, 28), torch.zeros(3, dtype=torch.long), 0.1
    model = Recorder()
    fooled = APGD("ce", iterations=4).fooled(model, x, y, budget, torch.Generator().manual_seed(1), False)
    assert not fooled.any()
    deltas = [seen - x for seen in model.seen]
    assert len(deltas) == 5 and 0 < float(deltas[0].min()) and float(deltas[0].max()) < budget  # a random start

    def box(d):
        return d.clamp(0.0, budget)  # 0 <= delta <= min(b, 1 - I), and 1 - I = 2 here

    previous, delta, step = deltas[0], deltas[0], 2 * budget
    for i, seen in enumerate(deltas[1:]):
        a = 1.0 if i == 0 else 0.75
        z = box(delta + step * torch.ones_like(delta))
        previous, delta = delta, box(delta + a * (z - delta) + (1 - a) * (delta - previous))
        torch.testing.assert_close(seen, delta, atol=1e-6, rtol=0)


def test_5_2s_second_view_attacks_only_the_images_every_network_reads_correctly():
    """The Part 4 attack on every network runs on 'the first N Part 4 images that all four networks classify
    correctly': an image one network misreads would count as fooled in 0 steps. Checked on predictions written here
    (audit 6: selecting the images *any* network reads survived the suite; the quick run's networks read its first
    images alike)."""
    from hw1.parts.part5_beyond.compute import read_by_every_network

    clean = {"original": torch.tensor([0, 1, 2, 3, 4]), "retrained": torch.tensor([0, 9, 2, 3, 4]),
             "defended": torch.tensor([0, 1, 2, 9, 4])}  # predictions on test images 0-4
    index, labels = torch.tensor([4, 3, 2, 1, 0]), torch.tensor([4, 3, 2, 1, 0])  # Part 4's images: test 4, 3, ...
    # test image 3 is misread by "defended", test image 1 by "retrained": positions 1 and 3 are left out
    assert read_by_every_network(clean, index, labels, 10).tolist() == [0, 2, 4]
    assert read_by_every_network(clean, index, labels, 2).tolist() == [0, 2]


def test_the_training_attack_starts_uniformly_inside_the_box():
    """With a step of 0 the training attack returns its start: Wong et al.'s random start, uniform in
    0 <= delta <= min(b, 1 - I) (audit 7: a zero start survived the suite): inside the box, nothing where a pixel is
    white, and each pixel's share of its room uniform on [0, 1] (mean 1/2, spread about 0.29)."""
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    images = torch.rand(16, 1, 28, 28) * 2 - 1
    images[0] = 1.0  # white: no room to brighten
    labels = torch.zeros(16, dtype=torch.int64)
    budget = 0.3
    start = random_start_fgsm(model, images, labels, budget, 0.0, 1, torch.Generator().manual_seed(5)) - images
    upper = torch.minimum(torch.full_like(images, budget), 1 - images)
    assert (start >= 0).all() and (start <= upper + 1e-6).all()
    assert torch.equal(start[0], torch.zeros_like(start[0]))
    share = start[1:] / upper[1:].clamp_min(1e-12)  # uniform on [0, 1] where there is room
    room = upper[1:] > 1e-3
    assert abs(float(share[room].mean()) - 0.5) < 0.02 and float(share[room].std()) > 0.25


def test_the_defended_network_starts_fresh_unless_configured_to_fine_tune_part3(monkeypatch, tmp_path):
    """5.2 says the defended network is a fresh one trained adversarially from scratch (the default
    defence_init "scratch"); only "part3" starts from Part 3's weights (audit 7: the test inverted, so the
    network was fine-tuned from Part 3 while the text said fresh, survived the suite)."""
    import dataclasses
    from types import SimpleNamespace

    from hw1.parts.part5_beyond import compute
    from hw1.parts.part5_beyond.config import Part5Config

    started_from = []
    monkeypatch.setattr(compute, "train_defended",
                        lambda config, data, device, seed, initial, checkpoint, reporter: (
                            started_from.append(initial) or ("network", "history", "guard")))
    monkeypatch.setattr(compute, "save_weights", lambda network, path: None)
    ctx = SimpleNamespace(device="cpu", seed=0, checkpoints_dir=tmp_path, run_key="k", reporter=None,
                          artifact=lambda name: tmp_path / name)
    original = nn.Linear(2, 2)
    assert Part5Config().defence_init == "scratch"
    compute._train_budgeted(Part5Config(), ctx, None, original)
    compute._train_budgeted(dataclasses.replace(Part5Config(), defence_init="part3"), ctx, None, original)
    assert started_from[0] is None
    assert started_from[1].keys() == original.state_dict().keys()
    assert all(torch.equal(started_from[1][k], v) for k, v in original.state_dict().items())


def test_apgd_step_halving_and_restarts_follow_croce_and_hein_written_here():
    """APGD's checkpoints, replayed by a reference written here from Croce and Hein (2020, Algorithm 1 and
    section 3.2): checkpoints at ceil(p_j N) with p_0 = 0, p_1 = 0.22, p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03,
    0.06); at a checkpoint an image whose loss rose on at most rho = 0.75 of the iterations since the last one, or
    whose step was not halved last time and whose best loss has not improved since, halves its step and restarts
    from its best point with that point's gradient. The network is a bowl: the loss is largest at a point inside
    the box, so the first steps overshoot, the loss falls and rises, and the checkpoints decide the path (the
    momentum test above has a loss that never changes). No image is ever misread, so all run 100 iterations."""
    import math

    class Bowl(nn.Module):
        """Loss largest at `centre`; on the images with a `tilt` it also grows with every call (every iterate),
        faster than the bowl can make it fall, so those never stall and keep their step."""

        def __init__(self, centre, tilt):
            super().__init__()
            self.centre, self.tilt, self.seen = centre, tilt, []

        def forward(self, inputs):
            self.seen.append(inputs.detach().clone())
            distance = ((inputs - self.centre) ** 2).flatten(1).sum(dim=1)
            wrong = -12.0 - 0.05 * distance + self.tilt * len(self.seen)  # at most -5: class 0 always wins
            return torch.stack([torch.zeros_like(wrong), wrong], dim=1)

    torch.manual_seed(0)
    n, budget, iterations = 6, 0.5, 100
    x, y = -torch.ones(n, 1, 2, 2), torch.zeros(n, dtype=torch.long)
    centre = x + 0.05 + 0.4 * torch.rand(n, 1, 2, 2)  # inside the box 0 <= delta <= 0.5
    tilt = torch.tensor([0.07, 0.07, 0.0, 0.0, 0.0, 0.0])
    model = Bowl(centre, tilt)
    fooled = APGD("ce", iterations).fooled(model, x, y, budget, torch.Generator().manual_seed(3), False)
    assert not fooled.any() and len(model.seen) == iterations + 1

    replay = Bowl(centre, tilt)  # called in the same order as the run's network: the same tilt at each call

    def probe(delta):
        delta = delta.clone().requires_grad_(True)
        losses = F.cross_entropy(replay(x + delta), y, reduction="none")
        (gradient,) = torch.autograd.grad(losses.sum(), delta)
        return losses.detach(), gradient

    p = [0.0, 0.22]
    while p[-1] < 1:
        p.append(p[-1] + max(p[-1] - p[-2] - 0.03, 0.06))
    checks = {math.ceil(q * iterations - 1e-9) for q in p[1:] if q <= 1}  # (0.22 + 0.19 + 0.16) * 100 is 57.000...01
    each = (slice(None), None, None, None)
    delta = model.seen[0] - x  # the start (random: taken from the run, then checked to lie in the box)
    assert (delta >= 0).all() and (delta <= budget).all()
    loss, gradient = probe(delta)
    previous, step = delta, torch.full((n,), 2.0 * budget)
    best, best_loss, best_gradient = delta, loss, gradient
    rises, last_check, best_at_check, halved = torch.zeros(n), 0, loss.clone(), torch.zeros(n, dtype=torch.bool)
    halvings = 0
    for k in range(1, iterations + 1):
        a = 1.0 if k == 1 else 0.75
        z = (delta + step[each] * gradient.sign()).clamp(0, budget)
        previous, delta = delta, (delta + a * (z - delta) + (1 - a) * (delta - previous)).clamp(0, budget)
        torch.testing.assert_close(model.seen[k] - x, delta, atol=1e-6, rtol=0, msg=f"iteration {k}")
        new_loss, gradient = probe(delta)
        rises += (new_loss > loss).float()
        better = new_loss > best_loss
        best = torch.where(better[each], delta, best)
        best_gradient = torch.where(better[each], gradient, best_gradient)
        best_loss, loss = torch.maximum(new_loss, best_loss), new_loss
        if k in checks:
            stalled = (rises <= 0.75 * (k - last_check)) | (~halved & (best_at_check >= best_loss))
            step = torch.where(stalled, step / 2, step)
            delta = torch.where(stalled[each], best, delta)
            gradient = torch.where(stalled[each], best_gradient, gradient)
            halved, best_at_check, rises, last_check = stalled, best_loss.clone(), torch.zeros(n), k
            halvings += int(stalled.sum())
    assert 0 < halvings < n * len(checks), "every image halved at every checkpoint, or none ever did"
    assert (step[:2] == 2 * budget).all() and (step[2:] < 2 * budget).all()  # the tilted ones never stalled


@pytest.fixture(scope="module")
def table1_briefly_trained(mnist):
    """A Table 1 CNN after 60 Adam steps on MNIST (real BatchNorm statistics, logits of a few units, some images
    a small budget can fool), in eval mode and the CPU's channels_last layout, as hw1 keeps its networks."""
    torch.manual_seed(0)
    model = Table1CNN().to(memory_format=torch.channels_last)
    x_all, y_all = to_model_input(mnist.train_images[:8192]), mnist.train_labels[:8192]
    optimiser = torch.optim.Adam(model.parameters(), 2e-3)
    generator = torch.Generator().manual_seed(0)
    for _ in range(60):
        index = torch.randint(0, len(x_all), (128,), generator=generator)
        loss = F.cross_entropy(model(x_all[index].contiguous(memory_format=torch.channels_last)), y_all[index])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return model.eval()


def test_folding_batchnorm_keeps_the_function_and_its_input_gradient_and_leaves_the_network_alone(
        table1_briefly_trained, mnist):
    import copy

    from hw1.toolkit.models import fold_batchnorm

    model = copy.deepcopy(table1_briefly_trained).train()  # folding must use eval mode whatever mode it finds
    before = {k: v.clone() for k, v in model.state_dict().items()}
    folded = fold_batchnorm(model)
    assert not any(isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) for m in folded.modules())
    assert not any(p.requires_grad for p in folded.parameters()) and not folded.training
    # The original is untouched: same weights, still in the mode it was in, still trainable.
    assert model.training and all(p.requires_grad for p in model.parameters())
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())
    model.eval()
    x = to_model_input(mnist.test_images[:32]).contiguous(memory_format=torch.channels_last)
    # Written out here: eval-mode BatchNorm is gamma (z - mean) / sqrt(var + eps) + beta on each channel.
    conv, norm = model.features[0], model.features[1]
    z = F.conv2d(x, conv.weight, conv.bias, padding=2)
    by_hand = (z - norm.running_mean[:, None, None]) / torch.sqrt(norm.running_var[:, None, None] + norm.eps) \
        * norm.weight[:, None, None] + norm.bias[:, None, None]
    assert torch.allclose(folded.features[0](x), by_hand, atol=1e-4, rtol=1e-4)
    xs = [x.clone().requires_grad_(True) for _ in range(2)]
    outputs = [net(inp) for net, inp in zip((model, folded), xs)]
    assert outputs[0].abs().max() > 2.0  # logits large enough for the comparison to mean something
    assert torch.allclose(outputs[0], outputs[1], atol=1e-4, rtol=1e-4)
    labels = mnist.test_labels[:32]
    grads = [torch.autograd.grad(F.cross_entropy(out, labels), inp)[0] for out, inp in zip(outputs, xs)]
    assert torch.allclose(grads[0], grads[1], atol=1e-7, rtol=1e-3)
    # A network without a Sequential (conv, BatchNorm) pair is only frozen.
    plain = fold_batchnorm(Threshold())
    assert torch.equal(plain(x), Threshold()(x)) and not plain.scale.requires_grad


def test_the_fast_evaluation_finds_exactly_the_images_the_plain_one_finds(table1_briefly_trained, mnist, monkeypatch):
    """The bounded evaluation attacks a folded copy of the network, on the CPU in chunks of CPU_CHUNK images;
    with both off it attacks the network as it is on the whole batch. The verdicts must agree image by image,
    at every budget, and so must the count each attack fooled first."""
    from hw1.toolkit import bounded

    model = table1_briefly_trained
    x, y = to_model_input(mnist.test_images[:60]), mnist.test_labels[:60]
    attacks = [SignPGD(8, 0.1, False), APGD("ce", 10), APGD("dlr", 10)]
    budgets = [0.2, 0.3]
    monkeypatch.setattr(bounded, "CPU_CHUNK", 1000)
    plain = BoundedEvaluation(model, attacks, seed=3, fold_batchnorm=False)
    plain_mask = plain.robust_mask(x, y, budgets)
    monkeypatch.setattr(bounded, "CPU_CHUNK", 16)  # three full chunks and a short one
    fast = BoundedEvaluation(model, attacks, seed=3)
    fast_mask = fast.robust_mask(x, y, budgets)
    # The check has power: at each budget some images are fooled, some by APGD after PGD missed them, some not.
    assert all(0 < robust < len(x) - 5 for robust in plain_mask.sum(dim=1).tolist()), plain_mask.sum(dim=1)
    assert all(sum(by_attack[1:]) > 0 for by_attack in plain.first_fooled), plain.first_fooled
    assert torch.equal(fast_mask, plain_mask)
    assert fast.first_fooled == plain.first_fooled
