"""Every attack run the report quotes, replayed by an I-FGSM written here (the assignment's algorithm: ascend the
cross-entropy to the true label, or descend it to the target, by eps times its sign, project onto
0 <= delta <= 1 - I, stop when the rule holds) and compared with what the run saved and printed: Part 4's two
attacks (adversarial.pt), the step-size comparison, 5.1's higher confidences, 5.2's second view on the other
networks, and 4.3 (b)'s attacks made afresh on the fine-tuned networks. A median over the wrong images, another
network or step size, or steps counted another way, fails here.

The replay runs in plain float32 and in the memory layout the run used on its device (channels_last on the CPU,
contiguous on CUDA: the layout changes how oneDNN sums, and replayed in the other layout seed 2's quick run kept only
9 of 12 of 5.1's images at 0.99, against 10 of 10 in the run's layout). The run may still have used another thread
count or machine: float sums then differ in the last bits, a pixel whose gradient is ~0 may take the other sign,
and an image may stop a step or two apart (seed 1's quick run: 2 of 64). So the comparison allows what that noise can do and no more: a
success rate one image apart (plus the images within 1e-4 of the threshold), a median step one step apart,
median sizes 3% apart (each from the order statistic k places away where the success counts differ by k), and per image at most a tenth of the images a step or two apart. The bugs this file is for
(another network, step size or step limit, medians over all images instead of the successes) move these by far
more."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch
import torch.nn.functional as F

from helpers import eval_probabilities, load_network, lower_median, report_folder, report_parts

pytestmark = pytest.mark.slow  # reads the quick run of every part

NEAR = 1e-4  # top probability this close to the threshold at any step: the image may stop a step apart


@dataclass
class Replay:
    adversarial: torch.Tensor  # (N, 1, 28, 28)
    success: torch.Tensor  # (N,) bool
    steps: torch.Tensor  # (N,) sign steps taken before the rule held (or max_steps)
    top: torch.Tensor  # (N,) the network's top probability on the adversarial image
    near: torch.Tensor  # (N,) bool: within NEAR of the threshold at some step (left out of comparisons)

    def sizes(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        delta = (self.adversarial - x).flatten(1).double()
        return {"linf": delta.amax(dim=1), "l2": delta.norm(dim=1), "changed_pixels": (delta > 0).sum(dim=1).double()}


def ran_channels_last(part: dict) -> bool:
    """Whether a part's networks ran in the channels_last layout: on the CPU, where hw1 keeps them so."""
    return part["device"] == "cpu"


def replay(network, x, y, eps: float, max_steps: int, confidence: float, target=None, *,
           channels_last: bool) -> Replay:
    """The constrained I-FGSM of Part 4, written here; the network in eval mode, in the run's memory layout."""
    layout = torch.channels_last if channels_last else torch.contiguous_format
    network = network.eval().to(memory_format=layout)
    x, y = x.detach().contiguous(memory_format=layout), y.detach()
    goal, direction = (y, 1.0) if target is None else (target, -1.0)
    delta, upper = torch.zeros_like(x), 1.0 - x
    steps = torch.zeros(len(x), dtype=torch.long)
    done, near = torch.zeros(len(x), dtype=torch.bool), torch.zeros(len(x), dtype=torch.bool)
    for step in range(max_steps + 1):
        active = torch.nonzero(~done).squeeze(1)  # the images still attacked (each image's run is its own)
        d = delta[active].clone().requires_grad_(True)
        logits = network(x[active] + d)
        top, predicted = torch.softmax(logits.detach(), dim=1).max(dim=1)
        hit = predicted != y[active] if target is None else predicted == target[active]
        near[active] |= hit & ((top - confidence).abs() < NEAR)
        met = hit & (top >= confidence)
        done[active] = met
        if step == max_steps or done.all():
            break
        (gradient,) = torch.autograd.grad(F.cross_entropy(logits, goal[active], reduction="sum"), d)
        moved = torch.minimum((d.detach() + direction * eps * gradient.sign()).clamp(min=0.0), upper[active])
        go = active[~met]
        delta[go] = moved[~met]
        steps[go] += 1
    adversarial = x + delta
    return Replay(adversarial, done, steps, eval_probabilities(network, adversarial).max(dim=1).values, near)


def _check_row(row: dict, mine: Replay, x: torch.Tensor, keys: dict[str, str], what) -> None:
    """A saved row (success rate and medians over the successes) against the replay, within the float noise
    the module's docstring allows."""
    assert row["success_rate"] == pytest.approx(float(mine.success.float().mean()),
                                                abs=(int(mine.near.sum()) + 1) / len(x) + 1e-9), what
    ok = mine.success
    # Where the run's successes and mine differ by k images (an image at the threshold), the run's median is an
    # order statistic of mine at most k places from my lower median (seed 2's quick run: 20 against 21 at 0.99,
    # median 51 against 54, its neighbour).
    k = abs(round(row["success_rate"] * len(x)) - int(ok.sum()))
    measured = {"steps": mine.steps.double(), "confidence": mine.top.double(), **mine.sizes(x)}
    for key, name in keys.items():
        expected = lower_median(measured[name][ok])
        if expected is None or row[key] is None:
            assert expected == row[key], (what, key)
            continue
        ordered = torch.sort(measured[name][ok]).values
        middle = (len(ordered) - 1) // 2
        low, high = float(ordered[max(middle - k, 0)]), float(ordered[min(middle + k, len(ordered) - 1)])
        if name == "steps":
            assert low - 1 <= row[key] <= high + 1, (what, key, row[key], expected)
        else:
            assert low * 0.97 - 1e-4 <= row[key] <= high * 1.03 + 1e-4, (what, key, row[key], expected)


@pytest.fixture(scope="module")
def run(request):
    out = report_folder(request)
    parts = report_parts(out)
    return out, parts, torch.load(out / "artifacts" / "adversarial.pt", weights_only=True)


def test_part4_saved_attacks_are_the_algorithms_steps(run):
    """adversarial.pt: each image's success, steps and adversarial image are what the algorithm gives."""
    out, parts, saved = run
    c, n = parts["part4"]["config"], parts["part4"]["result"]["images"]
    network = load_network(out / "artifacts" / "cnn.pt")
    for name, rows in (("untargeted", slice(0, n)), ("targeted", slice(n, 2 * n))):
        x, y = saved["original"][rows], saved["label"][rows]
        mine = replay(network, x, y, c["eps"], c["max_steps"], c["confidence"],
                      None if name == "untargeted" else saved["target"][rows],
                      channels_last=ran_channels_last(parts["part4"]))
        clear = ~mine.near
        assert torch.equal(mine.success[clear], saved["success"][rows][clear]), name
        apart = (mine.steps - saved["steps"][rows]).abs()[clear & mine.success]
        assert apart.max() <= 2 and (apart > 0).float().mean() <= 0.1, (name, apart.tolist())
        if name == "untargeted":  # the images too, where the steps agree
            same = (mine.adversarial - saved["adversarial"][rows]).flatten(1).abs().amax(dim=1) < 1e-5
            agree = clear & mine.success & (mine.steps == saved["steps"][rows])
            assert same[agree].float().mean() >= 0.9, name


def test_part4_step_size_comparison_rows_replayed(run):
    out, parts, saved = run
    c, r = parts["part4"]["config"], parts["part4"]["result"]
    m = c["sweep_images"]
    x, y = saved["original"][:m], saved["label"][:m]
    network = load_network(out / "artifacts" / "cnn.pt")
    keys = {"median_steps": "steps", "median_linf": "linf", "median_l2": "l2", "median_confidence": "confidence"}
    assert [row["eps"] for row in r["eps_sweep"]] == c["eps_sweep"]
    for row in r["eps_sweep"]:
        mine = replay(network, x, y, row["eps"], c["max_steps"], c["confidence"],
                      channels_last=ran_channels_last(parts["part4"]))
        assert row["images"] == m
        _check_row(row, mine, x, keys, row["eps"])


def test_part5_higher_confidence_rows_replayed(run):
    """5.1: the Part 4 attacks continued to each stopping confidence on the first images, with the longer step
    limit: success, median steps and sizes of each row, and the saved adversarial images."""
    out, parts, _ = run
    if "part5" not in parts:
        pytest.skip("no Part 5 in this report")
    c4, c5, r5 = parts["part4"]["config"], parts["part5"]["config"], parts["part5"]["result"]
    study = torch.load(out / "artifacts" / "part5_confidence.pt", weights_only=True)
    x, y, target = study["original"], study["label"], study["target"]
    network = load_network(out / "artifacts" / "cnn.pt")
    keys = {"median_steps": "steps", "median_linf": "linf", "median_l2": "l2", "median_changed_pixels": "changed_pixels"}
    for row in r5["confidence"]:
        goal = None if row["attack"] == "untargeted" else target
        mine = replay(network, x, y, c4["eps"], c5["threshold_max_steps"], row["threshold"], goal,
                      channels_last=ran_channels_last(parts["part5"]))
        _check_row(row, mine, x, keys, (row["attack"], row["threshold"]))
        if row["attack"] == "untargeted":  # the saved images themselves (targeted: see the Part 4 test)
            saved = study[f"{row['attack']}_{row['threshold']}"]
            same = (mine.adversarial - saved).flatten(1).abs().amax(dim=1) < 1e-5
            assert same[mine.success & ~mine.near].float().mean() >= 0.9, (row["attack"], row["threshold"])


def test_part5_second_view_rows_replayed_on_the_other_networks(run, mnist):
    """5.2's second view: the Part 4 attack on each trained network, on the first Part 4 images that all four read
    correctly (recounted here), against the saved rows' success rates and medians."""
    out, parts, saved = run
    if "part5" not in parts:
        pytest.skip("no Part 5 in this report")
    c4, r4, r5 = parts["part4"]["config"], parts["part4"]["result"], parts["part5"]["result"]
    files = {"original": "cnn.pt", "retrained": "cnn_retrained.pt",
             "single-step (Goodfellow-style)": "cnn_goodfellow_single_step.pt",
             "adversarially trained": "cnn_adversarially_trained.pt"}
    networks = {name: load_network(out / "artifacts" / file) for name, file in files.items()}
    n = r4["images"]
    x, y = saved["original"][:n], saved["label"][:n]
    right = torch.stack([eval_probabilities(net, x).argmax(dim=1) == y for net in networks.values()]).all(dim=0)
    common = torch.nonzero(right).squeeze(1)[:r5["defended_images"]]
    assert len(common) == r5["defended_images"]
    keys = {"median_steps": "steps", "median_linf": "linf", "median_l2": "l2", "median_changed_pixels": "changed_pixels"}
    for row in r5["defended"]:
        mine = replay(networks[row["network"]], x[common], y[common], c4["eps"], c4["max_steps"], c4["confidence"],
                      channels_last=ran_channels_last(parts["part5"]))
        _check_row(row, mine, x[common], keys, row["network"])


def test_part4_attacks_made_afresh_on_the_fine_tuned_networks_replayed(run, mnist):
    """4.3 (b), Table 10: both attacks made afresh on the control and on the network fine-tuned with adversarial
    images, on those of the first held-back test images each reads correctly."""
    out, parts, saved = run
    c4, g = parts["part4"]["config"], parts["part4"]["result"]["retraining"]
    split = torch.load(out / "artifacts" / "retraining.pt", weights_only=True)
    fresh = split["fresh_attack_test_index"]
    n = parts["part4"]["result"]["images"]
    position = {int(i): k for k, i in enumerate(saved["test_index"][:n])}
    rows = torch.tensor([position[int(i)] for i in fresh])
    x, y, target = saved["original"][rows], saved["label"][rows], saved["target"][n + rows]
    keys = {"median_steps": "steps", "median_linf": "linf", "median_l2": "l2"}
    for name, file in (("control", "cnn_finetuned_control.pt"), ("finetuned", "cnn_finetuned_adversarial.pt")):
        network = load_network(out / "artifacts" / file)
        keep = eval_probabilities(network, x).argmax(dim=1) == y
        for attack, goal in (("fresh_untargeted", None), ("fresh_targeted", target[keep])):
            record = g[name][attack]
            assert record["attacked"] == int(keep.sum()), (name, attack)
            mine = replay(network, x[keep], y[keep], c4["eps"], c4["max_steps"], c4["confidence"], goal,
                          channels_last=ran_channels_last(parts["part4"]))
            _check_row(record, mine, x[keep], keys, (name, attack))
