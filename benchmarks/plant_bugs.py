"""Plant realistic bugs one at a time in a temporary copy of the project and run the tests on each: a bug the
tests do not catch is a hole in the tests. The list grows with every bug found in review (issue 29).

    HW1_DATA_DIR=/path/to/data python benchmarks/plant_bugs.py              # every bug, each with its own tests
    python benchmarks/plant_bugs.py --only part3-wrong-split pct-truncates  # some of them
    python benchmarks/plant_bugs.py --all-tests                             # the whole suite for every bug (slow)
    python benchmarks/plant_bugs.py --list                                  # the bugs, nothing run

Each bug is a list of exact text replacements in one file (each `old` must occur exactly once, so a bug that
no longer applies after a refactor says so instead of silently planting nothing) and the tests to run:
a list of pytest arguments, or "all". For each bug the script copies the project to a temporary folder
(hw1/, templates/, run_all.py and pyproject.toml as committed in HEAD, so that others' unfinished edits do
not decide the verdict, or as they stand with --worktree; tests/ always as it stands), plants the bug, checks
that the copy's own package is the one imported, runs pytest there (HW1_DATA_DIR passed through,
HW1_REPORT_DIR removed) and prints CAUGHT (some test failed: the failures and their messages; pytest -x stops
at the first unless --every-failure) or SURVIVED. --baseline runs the same tests unplanted (all must
survive). Exit status: the number of bugs not caught (survived, not planted, run failed, timed out).

Bugs in parts/ re-run the session's quick pipeline of every part inside pytest (several minutes on 2 cores);
with --fast, the copy computes only the parts the bug's tests read (its `parts`) and the tests read that run
through HW1_REPORT_DIR. Filter and template bugs are quick with --report DIR (a finished quick run that the copy
re-renders with the bug planted; give --commit the commit that made it, and check with --baseline that the
unplanted copy passes).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PRODUCT = ("hw1", "templates", "run_all.py", "pyproject.toml", "README.md", "docs", "benchmarks")  # from git HEAD
# (or the working tree: --worktree); README.md, docs/ and benchmarks/ too, since some tests read them
TESTS = ("tests",)  # always from the working tree: the tests being judged


@dataclass(frozen=True)
class Bug:
    name: str
    file: str  # relative to the repository
    edits: tuple[tuple[str, str], ...]  # (exact old text, new text), each old text occurring exactly once
    tests: tuple[str, ...] | str  # pytest arguments, or "all"
    what: str  # what a reader of the PDF would be told wrongly
    found: str = ""  # where the bug comes from (the review, the issue)
    parts: tuple[int, ...] = ()  # for --fast: the parts a quick run of the copy computes for these tests
    render: bool = False  # for --report DIR: a template or filter bug, seen by re-rendering a finished quick run


BUGS: list[Bug] = [
    # ---- the three bugs of issue 29 (survived or caught by luck in the review of 9900614)
    Bug("part3-wrong-split", "hw1/parts/part3_cnn/compute.py",
        (("test_images = data.test_images[: config.test_subset or None]",
          "test_images = data.train_images[: config.test_subset or None]"),
         ("test_labels = data.test_labels[: config.test_subset or None]",
          "test_labels = data.train_labels[: config.test_subset or None]")),
        ("tests/test_rederive.py", "-k", "part3"),
        "Part 3's test accuracy, confusion matrix and misclassified digits come from training images", "issue 29",
        (3,)),
    Bug("pct-truncates", "hw1/rendering/report_macros.py",
        (('return f"{100 * float(value):.{digits}f}%"',
          'return f"{math.floor(100 * float(value) * 10**digits) / 10**digits:.{digits}f}%"'),),
        ("tests/test_filters.py", "tests/test_report_numbers.py"),
        "every percentage rounded down (99.96% printed as 99.9%)", "issue 29", render=True),
    Bug("xor-other-seed-handed-in", "hw1/parts/part2_xor/export.py",
        (('    model = XorNet("tanh")\n', '    run = (run + 1) % len(params["b2"])\n    model = XorNet("tanh")\n'),),
        ("tests/test_rederive.py", "-k", "part2"),
        "xor_tanh.pt holds the next seed's network, not the reported one", "issue 29", (2,)),
    # ---- more of the same kinds
    Bug("part3-confusion-transposed", "hw1/parts/part3_cnn/compute.py",
        (("confusion.index_put_((test_labels, predictions)", "confusion.index_put_((predictions, test_labels)"),),
        ("tests/test_rederive.py", "-k", "part3"),
        "the confusion matrix's rows are predictions, and the per-digit counts and accuracies follow it", parts=(3,)),
    Bug("part3-least-confident-errors", "hw1/parts/part3_cnn/compute.py",
        (("torch.argsort(confidence, descending=True)", "torch.argsort(confidence, descending=False)"),),
        ("tests/test_rederive.py", "-k", "part3"),
        "the figure of 'most confidently misclassified' digits shows the least confident ones", parts=(3,)),
    Bug("num-half-up", "hw1/rendering/report_macros.py",
        (('return f"{float(value):.{digits}f}"',
          'return f"{math.floor(float(value) * 10**digits + 0.5) / 10**digits:.{digits}f}"'),),
        ("tests/test_filters.py",),
        "num rounds halves up (and negative values towards +infinity)"),
    Bug("count-truncates", "hw1/rendering/report_macros.py",
        (('return f"{int(round(float(value))):,}"', 'return f"{int(float(value)):,}"'),),
        ("tests/test_filters.py",),
        "counts truncated instead of rounded"),
    Bug("secs-minutes-truncated", "hw1/rendering/report_macros.py",
        (("minutes, seconds = divmod(round(value), 60)", "minutes, seconds = divmod(int(value), 60)"),),
        ("tests/test_filters.py",),
        "times above a minute lose their fraction of a second by truncation"),
    Bug("sig-lower-edge-exclusive", "hw1/rendering/report_macros.py",
        (("if not -3 <= exponent < 5:", "if not -3 < exponent < 5:"),),
        ("tests/test_filters.py",),
        "0.001 printed as 1.00×10^-3"),
    Bug("sig-integer-digits-edge", "hw1/rendering/report_macros.py",
        (("if exponent >= digits:", "if exponent > digits:"),),
        ("tests/test_filters.py",),
        "1234.5 to 3 significant digits printed as Python's 1.23e+03"),
    Bug("sig-mantissa-one-digit-more", "hw1/rendering/report_macros.py",
        (('mantissa, exponent = f"{value:.{digits - 1}e}".split("e")', 'mantissa, exponent = f"{value:.{digits}e}".split("e")'),),
        ("tests/test_filters.py",),
        "every sig value gets one significant figure too many"),
    Bug("secs-minutes-from-unrounded", "hw1/rendering/report_macros.py",
        (("if round(value, 1) < 60:", "if value < 60:"),),
        ("tests/test_filters.py",),
        "59.96 s printed as '60.0 s' instead of '1 min 0 s'"),
    Bug("count-without-separators", "hw1/rendering/report_macros.py",
        (('return f"{int(round(float(value))):,}"', 'return f"{int(round(float(value)))}"'),),
        ("tests/test_filters.py",),
        "60000 printed as '60000'"),
    Bug("pixels-over-128", "hw1/toolkit/data.py",
        (("div_(127.5)", "div_(128.0)"),),
        ("tests/test_toolkit_values.py",),
        "the networks see 255 as 0.992, not 1: every accuracy and attack runs on the wrong scale"),
    Bug("evaluate-mean-of-batch-sums", "hw1/toolkit/training.py",
        (("loss = float(torch.stack(losses).sum()) / len(images)", "loss = float(torch.stack(losses).mean())"),),
        ("tests/test_toolkit_values.py",),
        "the reported test loss is a mean of batch sums"),
    Bug("summary-xor-counts-swapped", "templates/summary/part2.html.j2",
        (("{{ r.robustness_tanh_solved|select|list|length }} / {{ r.robustness_identity_solved|select|list|length }}",
          "{{ r.robustness_identity_solved|select|list|length }} / {{ r.robustness_tanh_solved|select|list|length }}"),),
        ("tests/test_report_numbers.py",),
        "the front page's seeds solving XOR: tanh and no-activation counts swapped", render=True),
    Bug("part1-grad-max-on-loss", "hw1/parts/part1_neuron/compute.py",
        (('ce_abs = np.abs(arrays["ce_grad_w"])', 'ce_abs = np.abs(arrays["ce_loss"])'),),
        ("tests/test_rederive.py", "-k", "part1"),
        "the largest cross-entropy gradient is the largest cross-entropy loss", parts=(1,)),
    Bug("course-weights-untrained", "hw1/parts/part3_cnn/compute.py",
        (("save_weights(model, ctx.artifact(COURSE_WEIGHTS))",
          "save_weights(type(model)(), ctx.artifact(COURSE_WEIGHTS))"),),
        ("tests/test_rederive.py", "-k", "part3_course_weights"),
        "model.pth, the file the course loads, holds an untrained network", parts=(3,)),
    # ---- survivors of the issue-29 audit (a reviewer's ten bugs at 5f3d88a: 7 caught, these 3 survived)
    Bug("part1-vanishing-share-of-whole-grid", "hw1/parts/part1_neuron/compute.py",
        (("l2_vanishing_fraction=float((l2_abs[badly_wrong] < config.vanishing_threshold).mean()),",
          "l2_vanishing_fraction=float((l2_abs < config.vanishing_threshold).mean()),"),),
        ("tests/test_rederive.py", "-k", "part1"),
        "the share of badly wrong points with a vanishing L2 gradient, taken over the whole grid", "issue 29 audit",
        parts=(1,)),
    Bug("part2-scan-mean-not-count", "hw1/parts/part2_xor/compute.py",
        (('"solved": int(scan_ok[i].sum())', '"solved": int(scan_ok[i].mean())'),),
        ("tests/test_rederive.py", "-k", "scan"),
        "the scan table's solved counts (2, 2, ... printed as 0, 0, ...)", "issue 29 audit", parts=(2,)),
    Bug("part5-fooled-into-clean-classes", "hw1/parts/part5_beyond/compute.py",
        (('"fooled_into": torch.bincount(perturbed_prediction[fooled], minlength=10).tolist(),',
          '"fooled_into": torch.bincount(clean["original"][fooled], minlength=10).tolist(),'),),
        ("tests/test_rederive.py", "-k", "universal"),
        "5.3's 'N of the M fooled images go to the same class' counts the images' clean classes", "issue 29 audit",
        parts=(1, 2, 3, 4, 5)),
    # ---- audit of 2026-12-06: ten bugs chosen by a fresh reviewer from the product code before reading tests/
    # (list written to /tmp/audit/bugs.md first; two of them turned out to repeat sig-integer-digits-edge and
    # secs-minutes-from-unrounded above, kept under the audit's names so the audit's ten stay as chosen)
    # Verdicts (tests as of a6a3131): 8 caught by their own tests; audit-p4-clean-mask-by-position and
    # audit-p5-transfer-transposed SURVIVED the whole suite (382 passed; in the quick run the attacked images are test
    # images 0-63, so a position and its test index coincide). Both are caught since: test_part4_retraining
    # (_outside_training_share with positions and indexes that differ) and test_report_numbers (the transfer table).
    Bug("audit-p1-corner-wrong-row", "hw1/parts/part1_neuron/compute.py",
        (("l2_grad_at_corner=float(l2_abs[-1, -1]),", "l2_grad_at_corner=float(l2_abs[0, -1]),"),),
        ("tests/test_part1.py",),
        "1.3's L2 gradient 'at the corner w = b = 6' is read at (w = 6, b = -6), where z = 0 and it is 0",
        "audit 2026-12-06"),
    Bug("audit-p2-seeds-tried-off-by-one", "hw1/parts/part2_xor/compute.py",
        (('seeds_tried=reported["seed"] - ctx.seed + 1,', 'seeds_tried=reported["seed"] - ctx.seed,'),),
        ("tests/test_part2.py", "-k", "later_seeds"),
        "2.2 says the run's own seed fails XOR when it solves it (0 seeds tried)", "audit 2026-12-06"),
    Bug("audit-p3-per-class-column-sums", "hw1/parts/part3_cnn/compute.py",
        (("per_class_count = confusion.sum(dim=1)", "per_class_count = confusion.sum(dim=0)"),),
        ("tests/test_rederive.py", "-k", "part3_accuracy"),
        "the per-digit table counts predictions, not test images, and its 'accuracy' is precision",
        "audit 2026-12-06", parts=(3,)),
    Bug("audit-p4-clean-mask-by-position", "hw1/parts/part4_adversarial/retraining.py",
        (("outside[chosen[train_pos]] = False", "outside[train_pos] = False"),),
        ("tests/test_part4_retraining.py", "-k", "no_image_used or positions"),
        "4.3(b)'s clean accuracies include test images of the training share (the mask is indexed by position)",
        "audit 2026-12-06"),  # its test reads the session quick run (quick_report), not HW1_REPORT_DIR
    Bug("audit-p5-transfer-transposed", "hw1/parts/part5_beyond/result.py",
        (("return self.transfer[self.networks.index(source)][self.networks.index(target)]",
          "return self.transfer[self.networks.index(target)][self.networks.index(source)]"),),
        ("tests/test_report_numbers.py",),
        "5.2's transfer table and sentences swap the network the images were made on and the one they fool",
        "audit 2026-12-06", parts=(1, 2, 3, 4, 5)),
    Bug("audit-box-projection-drops-floor", "hw1/toolkit/box.py",
        (("return torch.minimum(delta.clamp(min=0.0), upper)", "return torch.minimum(delta, upper)"),),
        ("tests/test_attacks.py",),
        "the attacks may darken pixels (I_pert < I): every attack number is outside the assignment's constraint",
        "audit 2026-12-06"),
    Bug("audit-evaluate-loss-mean-per-batch", "hw1/toolkit/training.py",
        (('losses.append(F.cross_entropy(logits, labels[start:start + batch_size], reduction="sum"))',
          "losses.append(F.cross_entropy(logits, labels[start:start + batch_size]))"),),
        ("tests/test_toolkit_values.py", "-k", "evaluate"),
        "the test loss (Part 3's curve, 'test loss', the overfitting sentence) is the batch means' sum over N",
        "audit 2026-12-06"),
    Bug("audit-secs-unrounded-minute", "hw1/rendering/report_macros.py",
        (("    if round(value, 1) < 60:", "    if value < 60:"),),
        ("tests/test_filters.py",),
        "59.97 s printed as '60.0 s', not '1 min 0 s'", "audit 2026-12-06"),
    Bug("audit-sig-integer-edge", "hw1/rendering/report_macros.py",
        (("    if exponent >= digits:", "    if exponent > digits:"),),
        ("tests/test_filters.py",),
        "sig(1234.5, 3) printed as Python's '1.23e+03'", "audit 2026-12-06"),
    Bug("audit-part1-vanishing-shares-swapped", "templates/answers/part1.html.j2",
        (("{{ r.badly_wrong_fraction|pct(0) }} of the grid), {{ r.l2_vanishing_fraction|pct(0) }} have",
          "{{ r.badly_wrong_fraction|pct(0) }} of the grid), {{ r.ce_vanishing_fraction|pct(0) }} have"),),
        ("tests/test_render.py", "tests/test_report_numbers.py"),
        "1.6 says 0% of the badly wrong points have a vanished L2 gradient (the cross-entropy's share)",
        "audit 2026-12-06", render=True),
    # ---- second audit of 2026-12-06: ten more bugs chosen by a fresh reviewer
    # (list written to /tmp/audit2/bugs.md before reading tests/ or this list)
    # Verdicts (tests as of 1654c47, subsets only, 2026-12-06 14:45-15:30 under load): CAUGHT part1-analytic-l2,
    # part4-target-k-from-zero, attacks-changed-pixels, attacks-universal-two-sided, filter-pct-default; SURVIVED their
    # subset: part2-scan-reshape-transposed (the quick study solves seeds 0 and 1 in every setting, so the counts are
    # 2 everywhere and a transpose changes nothing) and tpl-part4-finetuned-targeted-more-less (caught since by
    # test_claims); not concluded: part3-throughput-one-epoch (withdrawn: not in the PDF), part5-median-l2-copy-of-linf,
    # tpl-part4-targeted-steps-swapped (not run).
    Bug("audit2-part1-analytic-l2-missing-factor2", "hw1/parts/part1_neuron/compute.py",
        (("return 2.0 * (s - y) * s * (1.0 - s) * x, (s - y) * x", "return (s - y) * s * (1.0 - s) * x, (s - y) * x"),),
        ("tests/test_part1.py",),
        "1's 'autograd agrees with the analytic formulas to ...' reports a large error (the L2 formula lacks its 2)",
        "audit2 2026-12-06", parts=(1,)),
    Bug("audit2-part2-scan-reshape-transposed", "hw1/parts/part2_xor/compute.py",
        (("scan_ok = ok[2 * study.n:].reshape(len(study.settings), study.n)",
          "scan_ok = ok[2 * study.n:].reshape(study.n, len(study.settings)).T"),),
        # caught since by a scan whose settings solve different numbers of seeds (no quick run needed)
        ("tests/test_rederive.py", "-k", "scan_counts_belong"),
        "2.1's scan table: solved counts mixed across (learning rate, initial spread) settings", "audit2 2026-12-06",
        parts=(2,)),
    Bug("audit2-part3-throughput-one-epoch", "hw1/parts/part3_cnn/compute.py",
        (("images_per_second=trained * config.epochs / history.train_seconds",
          "images_per_second=trained / history.train_seconds"),),
        ("tests/test_part3.py", "tests/test_rederive.py", "-k", "part3"),
        "Part 3's training throughput (images/s) understated by the number of epochs", "audit2 2026-12-06",
        parts=(3,)),
    Bug("audit2-part4-target-k-from-zero", "hw1/parts/part4_adversarial/compute.py",
        (("torch.randint(1, 10, labels.shape, generator=generator)",
          "torch.randint(0, 10, labels.shape, generator=generator)"),),
        ("tests/test_part4_independent.py",),
        "4.2: about a tenth of the targets equal the true digit (k = 0) and 'succeed' at once; 'k from 1 to 9' false",
        "audit2 2026-12-06", parts=(3, 4)),
    Bug("audit2-part5-median-l2-copy-of-linf", "hw1/parts/part5_beyond/compute.py",
        (('"median_l2": _median(outcome.l2[ok]),', '"median_l2": _median(outcome.linf[ok]),'),),
        ("tests/test_part5.py", "tests/test_rederive.py", "tests/test_report_numbers.py"),
        "Part 5's 'median L2' columns (confidence study, attacks on every network) show the median L-inf",
        "audit2 2026-12-06", parts=(1, 2, 3, 4, 5)),
    Bug("audit2-attacks-changed-pixels-ge-zero", "hw1/toolkit/attacks.py",
        (("changed_pixels=(flat > 0).sum(dim=1).cpu(),", "changed_pixels=(flat >= 0).sum(dim=1).cpu(),"),),
        ("tests/test_attacks.py",),
        "every attack 'changes' all 784 pixels (Parts 4 and 5's changed-pixel counts)", "audit2 2026-12-06"),
    Bug("audit2-attacks-universal-two-sided", "hw1/toolkit/attacks.py",
        (("clamp_(0.0, budget)", "clamp_(-budget, budget)"),),
        ("tests/test_part5.py", "-k", "universal_perturbation_stays"),
        "5.3's universal perturbation may erase ink (I_pert < I), against the constraint the report states",
        "audit2 2026-12-06"),
    Bug("audit2-filter-pct-default-0", "hw1/rendering/report_macros.py",
        (("def pct(value: float, digits: int = 1) -> str:", "def pct(value: float, digits: int = 0) -> str:"),),
        ("tests/test_filters.py",),
        "every default percentage printed whole: 99.3% as '99%', 99.6% as '100%'", "audit2 2026-12-06", render=True),
    Bug("audit2-tpl-part4-targeted-steps-swapped", "templates/answers/part4.html.j2",
        (("a median of {{ t.steps.median|num(0) }} steps against {{ u.steps.median|num(0) }},",
          "a median of {{ u.steps.median|num(0) }} steps against {{ t.steps.median|num(0) }},"),),
        ("tests/test_claims.py::test_every_sentence_of_the_quick_report_is_true", "tests/test_report_numbers.py"),
        "4.2: 'targeted attacks need more work: a median of 44 steps against 61' (the two medians swapped)",
        "audit2 2026-12-06", render=True),
    Bug("audit2-tpl-part4-finetuned-targeted-more-less", "templates/answers/part4.html.j2",
        (('it is {{ "more" if w.targeted == "higher" else "less" }}',
          'it is {{ "less" if w.targeted == "higher" else "more" }}'),),
        ("tests/test_claims.py::test_every_sentence_of_the_quick_report_is_true", "tests/test_report_numbers.py"),
        "4.3(b): 'on the targeted ones it is less accurate (24.1% against 0.0%)': the word contradicts its numbers",
        "audit2 2026-12-06", render=True),
    # ---- third audit (issue 29): ten bugs chosen at 16:21-16:25 by fresh reviewers (helpers 9-11) who read neither
    # tests/ nor this list; three first picks repeated earlier bugs and were replaced. Verdicts (tests of 34786d1-era,
    # each bug against the test files likeliest to see it, 2026-12-06 17:15-18:25, under load): CAUGHT
    # bounded-masks-aliased (test_part5_robustness), universal-no-clamp (test_part5), models-bias-bn1d-missed
    # (test_part3); SURVIVED their subset: tpl-p5-l2-growth-ratio, tpl-p4-linf-share-of-range, macro-shared-numbering,
    # p3-epoch-loss-last-batch, p2-stuck-loss-by-position (each caught since by a new test: test_report_numbers'
    # derived shares and figure/table numbering, test_rederive's epoch loss and failing seeds' histories); not run:
    # p4-finetune-targeted-rows-unshifted, p5-guard-not-held-out.
    # ------------------------------------------------------------------ parts (4)
    Bug("audit3-p3-epoch-loss-last-batch", "hw1/toolkit/training.py",
        (("history.epoch_train_loss.append(float(epoch_losses.mean()))",
          "history.epoch_train_loss.append(float(epoch_losses[-1]))"),),
        "all",
        "Part 3 Q2: each epoch's 'mean training loss' is the loss of the epoch's last batch alone (96 images in the full recipe), the "
        "usual loss.item()-at-epoch-end slip: the sentence's 'mean training loss of the last epoch (x)' prints one "
        "batch's loss, the overfitting verdict that compares it with the test loss ('same size' / 'test lower' / 'test "
        "higher') can flip, and the training-curve figure's epoch-mean squares sit on single batches; the epoch "
        "accuracies, test curves and weights are unchanged", "audit 3 (issue 29)",
        (1, 2, 3, 4, 5),
        False),
    Bug("audit3-p4-finetune-targeted-rows-unshifted", "hw1/parts/part4_adversarial/retraining.py",
        (("training_rows = torch.cat([train_pos[un_ok[train_pos]], n + train_pos[tg_ok[train_pos]]])",
          "training_rows = torch.cat([train_pos[un_ok[train_pos]], train_pos[tg_ok[train_pos]]])"),),
        "all",
        "4.3(b): the training share's targeted adversarial images are taken from the untargeted rows of adversarial.pt "
        "(offset n forgotten), so the fine-tuned network trains on the untargeted images (most of them twice) and on no "
        "targeted one, while the text still counts 'N untargeted and M targeted' images in its training set; its "
        "held-back accuracies, fresh attacks, finetuned.pt and retraining.pt's training_rows change", "audit 3 (issue 29)",
        (1, 2, 3, 4, 5),
        False),
    Bug("audit3-p2-stuck-loss-by-position", "hw1/parts/part2_xor/study.py",
        (('"loss": [float(s["loss"][row]) for s in tanh_snaps],', '"loss": [float(s["loss"][k]) for s in tanh_snaps],'),),
        "all",
        "2.2 'The seeds that fail': each failing seed's loss history is read at its position among the failing seeds "
        "(k) instead of its row in the study, i.e. from the first seeds of the study, which solve XOR: the text's "
        "'the N failing seeds have loss a-b' and the stuck table's Loss column show near-zero losses, and 'just above "
        "(1/2) log 2' is dropped", "audit 3 (issue 29)",
        (1, 2, 3, 4, 5),
        False),
    Bug("audit3-p5-guard-not-held-out", "hw1/parts/part5_beyond/defence.py",
        (("guard_x = to_model_input(data.train_images[-held:]).to(device)",
          "guard_x = to_model_input(data.train_images[:held]).to(device)"),
         ("guard_y = data.train_labels[-held:].to(device)", "guard_y = data.train_labels[:held].to(device)")),
        "all",
        "5.2: the catastrophic-overfitting guard attacks the first training images, which the defended network trains "
        "on, while the text calls them held-out; its checks (the percentages the text lists) and possibly when it fires "
        "change", "audit 3 (issue 29)",
        (1, 2, 3, 4, 5),
        False),
    # ------------------------------------------------------------------ toolkit (3)
    Bug("audit3-bounded-masks-aliased", "hw1/toolkit/bounded.py",
        (("masks.append(alive.clone())", "masks.append(alive)"),),
        "all",
        "5.2 robust accuracy: every budget of a curve reports the robust accuracy of its largest budget (the per-budget "
        "masks alias one tensor that later budgets keep clearing), so the defended network's curve is flat",
        "audit 3 (issue 29)",
        (1, 2, 3, 4, 5),
        False),
    Bug("audit3-models-bias-bn1d-missed", "hw1/toolkit/models.py",
        (("isinstance(following, (nn.BatchNorm1d, nn.BatchNorm2d))", "isinstance(following, nn.BatchNorm2d)"),),
        "all",
        "3.1: 'The N biases of the layers that feed a BatchNorm are redundant' says 128 instead of 192 (the fully "
        "connected layer before BatchNorm1d is left out)", "audit 3 (issue 29)",
        (1, 2, 3, 4, 5),
        False),
    Bug("audit3-universal-no-clamp", "hw1/toolkit/attacks.py",
        (("perturbed = torch.clamp(images[index] + v, max=1.0)", "perturbed = images[index] + v"),),
        "all",
        "5.3: the universal perturbation is optimised on images pushed past the valid range (I + v > 1 on strokes) "
        "instead of the clamped images it is measured on; universal.pt and the fooling rates, pixel counts and "
        "classes of 5.3 change", "audit 3 (issue 29)",
        (1, 2, 3, 4, 5),
        False),
    # ------------------------------------------------------------------ report templates and macros (3)
    Bug("audit3-tpl-p5-l2-growth-ratio", "templates/answers/part5.html.j2",
        (("({{ ((u|last).median_l2 / (u|first).median_l2 - 1)|pct(0) }} more)",
          "({{ ((u|last).median_l2 / (u|first).median_l2)|pct(0) }} more)"),),
        "all",
        "5.1: the untargeted median L2's growth is printed as the ratio ('150% more') instead of the increase "
        "('50% more')", "audit 3 (issue 29)",
        (3, 4, 5),
        True),
    Bug("audit3-tpl-p4-linf-share-of-range", "templates/answers/part4.html.j2",
        (("({{ (u.linf.median / 2)|pct(0) }} of the input range, on which",
          "({{ u.linf.median|pct(0) }} of the input range, on which"),),
        "all",
        "4.1: the median largest pixel change is called twice its share of the input range (the range [-1, 1] spans 2)",
        "audit 3 (issue 29)",
        (3, 4),
        True),
    Bug("audit3-macro-shared-numbering", "hw1/rendering/report_macros.py",
        (("self.counters[kind] = self.counters.get(kind, 0) + 1",
          "self.counters[kind] = len(self.numbers) + 1"),),
        "all",
        "Figures and tables share one sequence: 'Table 7' instead of 'Table 1', figure numbers skip the tables' numbers, "
        "in captions and in every 'see Figure N / Table N' sentence", "audit 3 (issue 29)",
        (1, 2),
        True),
    # ---- fourth audit (issue 29): ten bugs chosen by a fresh reviewer from the product code at a5e0101 before
    # reading tests/ (list written to /tmp/audit4/bugs.md first), each run against the whole suite.
    # ------------------------------------------------------------------ parts (4)
    Bug("audit4-p2-initial-hidden-last-snapshot", "hw1/parts/part2_xor/compute.py",
        (("initial_hidden_max_abs=float(np.abs(np.array(hidden_at[0])).max()),",
          "initial_hidden_max_abs=float(np.abs(np.array(hidden_at[-1])).max()),"),),
        "all",
        "2.2 'What the figures show': the largest |h| 'at step 0' is read at the last snapshot (about 1.00, tanh "
        "saturated), so the start is called 'already in tanh's curved range' instead of a near-affine copy of the square",
        "audit 4 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit4-p3-largest-fall-sign", "hw1/parts/part3_cnn/result.py",
        (("drops = [(accuracy[k - 1] - accuracy[k], k) for k in range(1, len(accuracy))]",
          "drops = [(accuracy[k] - accuracy[k - 1], k) for k in range(1, len(accuracy))]"),),
        "all",
        "Part 3 Q2: 'Test accuracy's largest fall between two evaluations is N points, from a to b' reports the largest "
        "rise (sign flipped), with its BatchNorm explanation, when the test curve only rises",
        "audit 4 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit4-p4-targeted-summary-untargeted-preds", "hw1/parts/part4_adversarial/compute.py",
        (("targeted=_summary(targeted, images, labels, targets, tg_probs, tg_pred, retrained_clean_pred, config.max_steps),",
          "targeted=_summary(targeted, images, labels, targets, tg_probs, un_pred, retrained_clean_pred, config.max_steps),"),),
        "all",
        "4.3(a): the targeted images' transfer numbers (misclassified by the retrained network, landing on the target) "
        "are computed from the retrained network's predictions on the untargeted images (copy-paste of un_pred)",
        "audit 4 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit4-p5-random-control-unclipped", "hw1/parts/part5_beyond/compute.py",
        (("random = (noise / noise.norm() * v.norm()).clamp(max=budget)",
          "random = noise / noise.norm() * v.norm()"),),
        "all",
        "5.3: the random control is not clipped to the L-inf budget (pixels above the budget): its L2 equals v's "
        "exactly (the table's random L2 column, against 'slightly less after clipping') and its fooling rate changes",
        "audit 4 (issue 29)", (1, 2, 3, 4, 5), False),
    # ------------------------------------------------------------------ toolkit (3)
    Bug("audit4-attacks-upper-by-position", "hw1/toolkit/attacks.py",
        (("delta[still] = project(updated, upper[still])", "delta[still] = project(updated, upper[keep])"),),
        "all",
        "Parts 4 and 5: once some images of a batch have stopped, each remaining image is projected with another "
        "image's upper bound 1 - I (indexed by position among the active images, not by image): I_pert may exceed 1 "
        "or be held below it, so adversarial.pt, the step counts, L-inf/L2 sizes and success rates change",
        "audit 4 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit4-dlr-denominator-second", "hw1/toolkit/bounded.py",
        (("(ordered[:, 0] - ordered[:, 2] + 1e-12)", "(ordered[:, 0] - ordered[:, 1] + 1e-12)"),),
        "all",
        "5.2: the DLR loss divides by z_1 - z_2 instead of z_1 - z_3 (Croce and Hein): on a correctly classified image "
        "it is the constant -1, so APGD-DLR fools nothing; robust accuracies and 'APGD fooled N of ...' change",
        "audit 4 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit4-architecture-shape-with-batch", "hw1/toolkit/models.py",
        (('"output_shape": list(output.shape[1:]),', '"output_shape": list(output.shape),'),),
        "all",
        "3.1's architecture table: every output shape keeps the batch dimension (1 × 32 × 28 × 28, 1 × 10)",
        "audit 4 (issue 29)", (1, 2, 3, 4, 5), False),
    # ------------------------------------------------------------------ report macros and templates (3)
    Bug("audit4-cite-numbered-from-zero", "hw1/rendering/report_macros.py",
        (("number = self.numbering.citations.setdefault(key, len(self.numbering.citations) + 1)",
          "number = self.numbering.citations.setdefault(key, len(self.numbering.citations))"),),
        "all",
        "every citation and bibliography entry numbered from [0]: the first reference cited is [0], the last one off by one",
        "audit 4 (issue 29)", (1, 2, 3, 4, 5), True),
    Bug("audit4-tpl-p5-universal-share-of-classes", "templates/answers/part5.html.j2",
        (("{% set share = top / (h.fooled_into|sum or 1) %}", "{% set share = top / (h.fooled_into|length or 1) %}"),),
        "all",
        "5.3: the share of fooled images sent to the most common class is divided by the 10 classes, not by the fooled "
        "images ('N of the M (1500.0%) go to the same class', or 'spread over several classes' when they are not)",
        "audit 4 (issue 29)", (3, 4, 5), True),
    Bug("audit4-tpl-p3-99-percent-units", "templates/answers/part3.html.j2",
        (("{% if r.test_accuracy >= 0.99 %}above{% else %}<b>below</b>{% endif %}",
          "{% if r.test_accuracy >= 99 %}above{% else %}<b>below</b>{% endif %}"),),
        "all",
        "Part 3 Q2: the accuracy (a fraction) is compared with 99 (a percentage), so a full run's 99.3% is called "
        "'below the 99% requirement' (the quick run's 97% reads 'below' either way)",
        "audit 4 (issue 29)", (3,), True),
    # ---- fifth audit (issue 29): ten bugs chosen at 22:53-22:58 on 2026-12-06 by a fresh helper who read hw1/,
    # templates/ and this list, not tests/, after the tests were final (0a63044); each run against the whole suite.
    Bug("audit5-p1-l2-peak-from-ce", "hw1/parts/part1_neuron/compute.py",
    (("peak = np.unravel_index(np.argmax(l2_abs), l2_abs.shape)",
      "peak = np.unravel_index(np.argmax(ce_abs), l2_abs.shape)"),),
    "all",
    "1.3 and the Part 1 figure text: 'the L2 gradient is largest at |z| = ...' gives where the cross-entropy gradient peaks (the grid's corner, |z| = 12), not the L2 gradient's peak near |z| = 1.",
    "audit 5 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit5-p2-train-step-sum-not-mean", "hw1/parts/part2_xor/network.py",
    (("dz = (sigmoid(logits) - LABELS) * (rate[:, None] / len(LABELS))  # learning rate folded in",
      "dz = (sigmoid(logits) - LABELS) * rate[:, None]  # learning rate folded in"),),
    "all",
    "Part 2: the XOR networks descend the summed, not the mean, cross-entropy, i.e. train with 4 times the stated learning rate: xor_tanh.pt, the losses, outputs, snapshots, seed counts and scan table all come from a different training than the report describes.",
    "audit 5 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit5-p4-background-share-denominator", "hw1/parts/part4_adversarial/compute.py",
    (('"changed_background_share": float((changed & background)[ok].sum()) / max(int(changed[ok].sum()), 1),',
      '"changed_background_share": float((changed & background)[ok].sum()) / max(int(background[ok].sum()), 1),'),),
    "all",
    "4.1: 'N% of the pixels it brightens were black background' gives the share of the background pixels that were brightened (wrong denominator), not the share of the brightened pixels that were background.",
    "audit 5 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit5-p5-universal-transfer-vs-original-clean", "hw1/parts/part5_beyond/compute.py",
    (('name: float((_perturbed_predictions(net, test_x, v, device) != clean[name]).float().mean())',
      'name: float((_perturbed_predictions(net, test_x, v, device) != clean["original"]).float().mean())'),),
    "all",
    "5.3: the universal perturbation's fooling rate on the other networks counts changes against the Part 3 network's clean predictions, not each network's own, so images those networks already misread count as 'fooled'.",
    "audit 5 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit5-train-eval-points-from-zero", "hw1/toolkit/training.py",
    (("for k in range(1, config.evals_per_epoch + 1)}",
      "for k in range(config.evals_per_epoch)}"),),
    "all",
    "Part 3's test curve loses each epoch's end-of-epoch evaluation (k = 0 gives iteration 0, which never comes): fewer evaluations, different 'evaluated N times', first/largest-gain sentences; with one evaluation per epoch (Part 5) the catastrophic-overfitting guard never checks anything.",
    "audit 5 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit5-random-start-fgsm-no-budget", "hw1/toolkit/attacks.py",
    (("upper = one_sided_box(images.detach(), budget)\n    return sign_ascent(",
      "upper = one_sided_box(images.detach())\n    return sign_ascent("),),
    "all",
    "5.2: the defended network's training attack ignores the training budget (random start and steps anywhere in 0 <= delta <= 1 - I), so defended.pt and its clean and robust accuracies come from unbounded training while the text says delta <= min(b_train, 1 - I).",
    "audit 5 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit5-signpgd-step-fraction-absolute", "hw1/toolkit/bounded.py",
    (('probe, step = _Probe(model, "ce", channels_last), budget * self.step_fraction',
      'probe, step = _Probe(model, "ce", channels_last), self.step_fraction'),),
    "all",
    "5.2: the bounded evaluation's PGD takes sign steps of 0.1 input units whatever the budget instead of budget/10 (fraction used as an absolute size), so every robust accuracy and 'APGD fooled N that PGD had not' differ from the stated 'sign steps of b/10'.",
    "audit 5 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit5-ref-kind-inverted", "hw1/rendering/report_macros.py",
    (('label = "Table" if kind == "table" else "Figure"',
      'label = "Table" if kind == "figure" else "Figure"'),),
    "all",
    "Every cross-reference names the wrong kind: 'see Table 3' for Figure 3 and 'Figure 2' for Table 2, throughout the written answers.",
    "audit 5 (issue 29)", (1, 2, 3, 4, 5), True),
    Bug("audit5-tpl-p3-onecycle-start-lr", "templates/answers/part3.html.j2",
    (("{{ (c.max_lr / 25)|sig(2) }}",
      "{{ (c.max_lr / 10)|sig(2) }}"),),
    "all",
    "Part 3 training choices: the one-cycle learning rate is said to rise from max_lr/10 (4.0e-4) instead of PyTorch's max_lr/25 (1.6e-4) that the run used.",
    "audit 5 (issue 29)", (1, 2, 3, 4, 5), True),
    Bug("audit5-tpl-p4-control-misreads-accuracy", "templates/answers/part4.html.j2",
    (("still misreads {{ (1 - c.untargeted_accuracy)|pct(1) }} of the held-back untargeted",
      "still misreads {{ c.untargeted_accuracy|pct(1) }} of the held-back untargeted"),),
    "all",
    "4.3(b): 'The control ... still misreads N% of the held-back untargeted images' prints the share it reads correctly (its accuracy), not its error rate.",
    "audit 5 (issue 29)", (1, 2, 3, 4, 5), True),
    # ---- sixth audit (issue 29): ten bugs chosen at 00:58-01:03 on 2026-12-07 by a fresh helper who read hw1/,
    # templates/ and this list, not tests/, after the tests were final (139766d); each run against its likeliest tests
    # (a worktree of 4be60ab). Verdicts: 6 caught; SURVIVED tpl-p5-hit-target-from-misclassified, p5-common-images-any-
    # network, apgd-momentum-sign, models-linear-description-swapped, each since given its own test (2a8983d, 7d3f26e,
    # e181e3a, 2edc17d).
    # ------------------------------------------------------------------ parts (4)
    Bug("audit6-p2-handed-in-w1-transposed", "hw1/parts/part2_xor/export.py",
        (('model.hidden.weight.copy_(torch.from_numpy(params["W1"][run]))',
          'model.hidden.weight.copy_(torch.from_numpy(params["W1"][run].T))'),),
        "all",
        "xor_tanh.pt, the handed-in XOR network, holds W1 transposed (read as (in, out) though nn.Linear stores (out, in)), so the network the course loads is not the one the report trains and describes, and its four-input check outputs change (it need no longer solve XOR).",
        "audit 6 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit6-p3-top-confusions-ascending", "hw1/parts/part3_cnn/result.py",
        (('key=lambda pair: (-pair["count"], pair["true"], pair["predicted"]))',
          'key=lambda pair: (pair["count"], pair["true"], pair["predicted"]))'),),
        "all",
        "Part 3 Q2: 'The most frequent errors are ...' lists the confusion pairs from the rarest up (sorted ascending, the minus sign lost), with the tie summary and the 'together N of the M errors' count built on the rarest pairs.",
        "audit 6 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit6-p4-fresh-attacks-on-training-share", "hw1/parts/part4_adversarial/retraining.py",
        (("fresh_pos = held_pos[:config.fresh_attack_images]",
          "fresh_pos = train_pos[:config.fresh_attack_images]"),),
        "all",
        "4.3(b): the fine-tuned networks and the control are attacked afresh on test images of the training share (whose adversarial images the fine-tuned network trained on) while the text says 'held-back test images'; every fresh-attack success rate, median L2 and step count, and retraining.pt's fresh_attack_test_index, change.",
        "audit 6 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit6-p5-common-images-any-network", "hw1/parts/part5_beyond/compute.py",
        (("return torch.nonzero(right.all(dim=0)).squeeze(1)[:limit]",  # after its refactor into read_by_every_network
          "return torch.nonzero(right.any(dim=0)).squeeze(1)[:limit]"),),
        "all",
        "5.2's second view: the Part 4 attack on every network runs on images that ANY network classifies correctly instead of those they ALL do, so some attacked images are already misread (fooled in 0 steps) while the text says 'the Part 4 images they all classify correctly'; success rates, medians and the transfer table change.",
        "audit 6 (issue 29)", (1, 2, 3, 4, 5), False),
    # ------------------------------------------------------------------ toolkit (3)
    Bug("audit6-training-test-curve-train-subset", "hw1/toolkit/training.py",
        (("test_images, test_labels = _subset(data.test_images, data.test_labels, config.test_subset)",
          "test_images, test_labels = _subset(data.test_images, data.test_labels, config.train_subset)"),),
        "all",
        "Part 3's (and Parts 4-5's) test curves during training are evaluated on as many test images as the training subset (4,096 in a quick run, all 10,000 for Part 5's defended network in a full run) instead of test_subset, so 'At the first evaluation ... test accuracy was X', the largest gain/fall and the curves disagree with the stated test set.",
        "audit 6 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit6-models-linear-description-swapped", "hw1/toolkit/models.py",
        (('return f"{module.in_features} -> {module.out_features}"',
          'return f"{module.out_features} -> {module.in_features}"'),),
        "all",
        "3.1's architecture table describes the fully connected layers backwards: '64 → 576' and '10 → 64' instead of '576 → 64' and '64 → 10'.",
        "audit 6 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit6-apgd-momentum-sign", "hw1/toolkit/bounded.py",
        (("(1 - a) * (state.delta - state.previous), state.upper)",
          "(1 - a) * (state.previous - state.delta), state.upper)"),),
        "all",
        "5.2: APGD's momentum term points backwards (delta_prev - delta instead of delta - delta_prev), so APGD-CE and APGD-DLR are not Croce and Hein's algorithm the text describes; the robust accuracies and 'APGD fooled N ... that PGD had not fooled' change.",
        "audit 6 (issue 29)", (1, 2, 3, 4, 5), False),
    # ------------------------------------------------------------------ report macros and templates (3)
    Bug("audit6-sig-fixed-one-digit-short", "hw1/rendering/report_macros.py",
        (('    return f"{rounded:.{digits}g}"',
          '    return f"{rounded:.{digits - 1}g}"'),),
        "all",
        "every sig value between 0.001 and 10^digits is printed with one significant figure too few (the e-format's digits - 1 reused for g): Part 2's 'the loss falls from 0.69' reads 'from 0.7', Part 3's learning rates and the stuck seeds' gradient norms lose a digit.",
        "audit 6 (issue 29)", (1, 2, 3, 4, 5), True),
    Bug("audit6-tpl-p3-first-eval-train-last", "templates/answers/part3.html.j2",
        (("against {{ (train_acc|first)|pct(1) }} on the last",
          "against {{ (train_acc|last)|pct(1) }} on the last"),),
        "all",
        "Part 3 Q2: 'At the first evaluation ... test accuracy was X against Y on the last N training batches before it' gives the smoothed training accuracy at the last evaluation, not the first.",
        "audit 6 (issue 29)", (1, 2, 3, 4, 5), True),
    Bug("audit6-tpl-p5-hit-target-from-misclassified", "templates/answers/part5.html.j2",
        (("target from {{ (t|first).transfer_hit_target|pct(1) }} to",
          "target from {{ (t|first).transfer_misclassified|pct(1) }} to"),),
        "all",
        "5.1: 'the share of targeted images landing on their target from X to Y' starts from the share misclassified by the retrained network at 0.90 (a larger number), not the share landing on the target, so the rise looks smaller or becomes a fall.",
        "audit 6 (issue 29)", (1, 2, 3, 4, 5), True),
    # ---- seventh audit (issue 29): ten bugs chosen at 02:18-02:25 on 2026-12-07 by a fresh helper who read hw1/,
    # templates/ and this list, not tests/, after the tests were final (2edc17d); each run against its likeliest tests
    # (a worktree of 2300a10). Verdicts: 5 caught; SURVIVED tpl-p4-fresh-columns-swapped, tpl-p5-budget-affine-conversion,
    # rs-fgsm-zero-start, p5-defence-init-inverted, onecycle-default-warmup, each since given its own test (35f9c76,
    # ceb96a6, 09ed876, 875687b).
    Bug("audit7-p1-ce-grad-of-mean-loss", "hw1/parts/part1_neuron/compute.py",
        (("(ce_grad_w,) = torch.autograd.grad(ce_loss.sum(), w)",
          "(ce_grad_w,) = torch.autograd.grad(ce_loss.mean(), w)"),),
        "all",
        "the cross-entropy gradient dL/dw is the gradient of the grid's mean loss, divided by the number of grid points, so its largest magnitude and corner value print as ~0, every badly wrong point counts as a vanished cross-entropy gradient, and autograd is said to agree with the analytic formulas only to ~0.5",
        "audit 7 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit7-p2-last-snapshot-dropped", "hw1/parts/part2_xor/compute.py",
        (("snapshot_steps = tuple(s for s in config.snapshots if s <= config.steps)",
          "snapshot_steps = tuple(s for s in config.snapshots if s < config.steps)"),),
        "all",
        "the snapshot at the last training step is dropped, so the hidden-plane story, the final decision regions and the loss 'at the end' are those of an earlier step (e.g. step 1,000 of 2,000) while the text presents them as the end of training",
        "audit 7 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit7-p4-retrained-with-part3-seed", "hw1/parts/part4_adversarial/compute.py",
        (("retrained, _ = train_cnn(part3.config, data, ctx.device, seed, checkpoint, ctx.reporter)",
          "retrained, _ = train_cnn(part3.config, data, ctx.device, ctx.seed, checkpoint, ctx.reporter)"),),
        "all",
        "the 'retrained' network of question 4.3 (a) and retrained_cnn.pt are trained with Part 3's own seed, a copy of the attacked network, while the report says seed + 1, so the transfer rates it reports (near 100%) measure no transfer at all",
        "audit 7 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit7-p5-defence-init-inverted", "hw1/parts/part5_beyond/compute.py",
        (('initial = original.state_dict() if config.defence_init == "part3" else None',
          'initial = original.state_dict() if config.defence_init != "part3" else None'),),
        "all",
        "the defended network (and cnn_adversarially_trained.pt) is fine-tuned from Part 3's weights although the config and the text say a fresh network is trained from scratch, so its clean and robust accuracies describe another recipe",
        "audit 7 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit7-models-params-from-state-dict", "hw1/toolkit/models.py",
        (('"parameters": sum(p.numel() for p in mod.parameters()),',
          '"parameters": sum(p.numel() for p in mod.state_dict().values()),'),),
        "all",
        "the architecture table's per-layer parameter counts include BatchNorm's running mean, running variance and batch counter (a 32-channel BatchNorm2d listed with 129 instead of 64), so the BatchNorm rows are wrong and no longer add up to the total trainable parameters",
        "audit 7 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit7-onecycle-default-warmup", "hw1/toolkit/training.py",
        (("total_steps=config.epochs * self.per_epoch,\n            pct_start=config.warmup_fraction)",
          "total_steps=config.epochs * self.per_epoch)"),),
        "all",
        "the one-cycle schedule ignores warmup_fraction and warms up over PyTorch's default 30% of the steps, so every CNN (Part 3, 4's retrained network, 5's networks) is trained with another schedule than the report's 'rises ... over the first 25% of the steps', and all their accuracies change",
        "audit 7 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit7-rs-fgsm-zero-start", "hw1/toolkit/attacks.py",
        (("return sign_ascent(model, images, labels, upper, step, steps, uniform_start(upper, generator))",
          "return sign_ascent(model, images, labels, upper, step, steps)"),),
        "all",
        "the defence's training adversary starts every PGD from zero instead of a uniform random point of the box, so the defended network's robust and clean accuracies belong to a different recipe than the 'random start uniform in the one-sided box' the report describes",
        "audit 7 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit7-tpl-p4-fresh-columns-swapped", "templates/sections/part4.html.j2",
        (("{% set nets = [g.original, none, g.control, g.finetuned] %}",
          "{% set nets = [g.original, none, g.finetuned, g.control] %}"),),
        "all",
        "in the reading (b) table the rows of the attacks made afresh show the network fine-tuned with adversarial images under 'Control' and the control under 'Fine-tuned with adversarial images'",
        "audit 7 (issue 29)", (1, 2, 3, 4, 5), True),
    Bug("audit7-tpl-summary-p4-hit-target-misclassified", "templates/summary/part4.html.j2",
        (("{{ r.untargeted.retrained_misclassified|pct(1) }} / {{ r.targeted.retrained_hit_target|pct(1) }}",
          "{{ r.untargeted.retrained_misclassified|pct(1) }} / {{ r.targeted.retrained_misclassified|pct(1) }}"),),
        "all",
        "the front page's transfer row gives, as the share of targeted images that hit their target on the retrained CNN, the share it merely misclassifies",
        "audit 7 (issue 29)", (1, 2, 3, 4, 5), True),
    Bug("audit7-tpl-p5-budget-affine-conversion", "templates/answers/part5.html.j2",
        (("which is {{ b / 2 }} on the usual [0, 1] scale",
          "which is {{ (b + 1) / 2 }} on the usual [0, 1] scale"),),
        "all",
        "the headline budget is converted to the [0, 1] scale like a pixel value, (b + 1) / 2, instead of like a size, b / 2: 'b = 0.6 ... which is 0.8 on the usual [0, 1] scale' instead of 0.3",
        "audit 7 (issue 29)", (1, 2, 3, 4, 5), True),
    # ---- eighth audit (issue 29): ten bugs chosen at 04:30-04:45 on 2026-12-07 by a fresh helper who read hw1/,
    # templates/ and this list, not tests/; each run against its likeliest tests (a worktree of 9e97768), 05:04-05:27.
    # Verdicts: 7 caught; SURVIVED tpl-p2-identity-solved-unfiltered, p4-same-prediction-vs-labels,
    # training-shuffle-seed-fixed, each since given its own test (7cb96bc).
    # ------------------------------------------------------------------ parts (4)
    Bug("audit8-p1-ce-second-term-sign", "hw1/parts/part1_neuron/compute.py",
        (("(1 - y) * torch.nn.functional.logsigmoid(-logit))",
          "(1 - y) * torch.nn.functional.logsigmoid(logit))"),),
        "all",
        "Part 1's cross-entropy surface is -log sigma(z) (the loss for a target of 1) instead of the loss for y = 0.5: part1.npz, the 1.4/1.5 figures and the facts drawn from them change, the minimum 'log 2 = 0.693' is printed as ~0.000 (reached in a corner, not on w + b = 0), and autograd is said to agree with the analytic formulas only to ~0.5",
        "audit 8 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit8-p3-confusion-not-accumulated", "hw1/parts/part3_cnn/compute.py",
        (("confusion.index_put_((test_labels, predictions), torch.ones_like(test_labels), accumulate=True)",
          "confusion.index_put_((test_labels, predictions), torch.ones_like(test_labels))"),),
        "all",
        "Part 3's confusion matrix is written without accumulate=True, so every cell is 0 or 1: the per-digit table's 'test images' count the distinct predictions of each digit and its accuracies read 1/k (e.g. 50.0%), and 'the most frequent errors' are pairs tied at 1 error each",
        "audit 8 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit8-p4-same-prediction-vs-labels", "hw1/parts/part4_adversarial/compute.py",
        (('"retrained_same_prediction": float((retrained_pred[ok] == outcome.prediction[ok]).sum()) / n_ok,',
          '"retrained_same_prediction": float((retrained_pred[ok] == labels[ok]).sum()) / n_ok,'),),
        "all",
        "4.3(a)'s transfer table row 'Same wrong class as the original network' gives the share of adversarial images the retrained network reads as the TRUE digit (its accuracy on them, copy of the row above), not the share where it repeats the attacked network's wrong answer",
        "audit 8 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit8-p5-random-control-gaussian", "hw1/parts/part5_beyond/compute.py",
        (("noise = torch.rand(v.shape, generator=generator)",
          "noise = torch.randn(v.shape, generator=generator)"),),
        "all",
        "5.3's random control is Gaussian noise (torch.randn for torch.rand), so it darkens about half the pixels (I_pert < I, even below -1) although the text calls it 'a random v >= 0 of the same L2 norm' under the same constraints; its fooling rates (table and front page) and L2 change, and the generator draws of the following budgets (their universal perturbations) change with it",
        "audit 8 (issue 29)", (1, 2, 3, 4, 5), False),
    # ------------------------------------------------------------------ toolkit (3)
    Bug("audit8-attacks-lower-levels-rerecorded", "hw1/toolkit/attacks.py",
        (("met = hit & (top_probability >= level) & pending",
          "met = hit & (top_probability >= level)"),),
        "all",
        "5.1: an attack continued past several confidences re-records each lower level at every later step where it still holds, so the 0.90 row reports the state where the image stopped (the highest confidence): its median steps, L-inf, L2, pixels and transfer equal the higher row's instead of being those of a stop at 0.90 (Part 4's single-level attacks are unchanged)",
        "audit 8 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit8-models-max-pooling", "hw1/toolkit/models.py",
        (("nn.AvgPool2d(kernel_size=2, stride=2, padding=0),",
          "nn.MaxPool2d(kernel_size=2, stride=2, padding=0),"),),
        "all",
        "the Table 1 CNN pools with max instead of the assignment's average pooling (same parameters, so cnn.pt and model.pth still load): every CNN, its accuracies and the attacks on it change, the architecture table lists MaxPool2d rows with no settings, and 3.1's '2x2 average pool' is false",
        "audit 8 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit8-training-shuffle-seed-fixed", "hw1/toolkit/training.py",
        (("self.shuffle = torch.Generator().manual_seed(seed)",
          "self.shuffle = torch.Generator().manual_seed(0)"),),
        "all",
        "every CNN sees its mini-batches in the order of seed 0 whatever its seed, so Part 4's retrained network (seed + 1) shares Part 3's batch order while 4.3(a) says it shares 'not the initialisation or the order of the mini-batches', and retrained_cnn.pt, its accuracy and transfer rates and Part 5's trained networks change",
        "audit 8 (issue 29)", (1, 2, 3, 4, 5), False),
    # ------------------------------------------------------------------ report filters and templates (3)
    Bug("audit8-num-via-round", "hw1/rendering/report_macros.py",
        (('return f"{float(value):.{digits}f}"',
          'return f"{round(float(value), digits)}"'),),
        "all",
        "num prints Python's round() instead of fixed decimals: trailing zeros vanish (0.50 as '0.5', 0.6900 as '0.69') and every num(0) prints a '.0' ('44.0 steps', '[-6.0, 6.0]')",
        "audit 8 (issue 29)", (1, 2, 3, 4, 5), True),
    Bug("audit8-tpl-p3-errors-on-train-images", "templates/answers/part3.html.j2",
        (("({{ r.misclassified|count }} errors on {{ r.test_images|count }} test images; test loss",
          "({{ r.misclassified|count }} errors on {{ r.train_images|count }} test images; test loss"),),
        "all",
        "Part 3 Q2's result sentence says the errors were made on as many test images as there were training images ('N errors on 60,000 test images', 4,096 in a quick run)",
        "audit 8 (issue 29)", (1, 2, 3, 4, 5), True),
    Bug("audit8-tpl-p2-identity-solved-unfiltered", "templates/answers/part2.html.j2",
        (("{% set identity_solved = r.robustness_identity_solved|select|list|length %}",
          "{% set identity_solved = r.robustness_identity_solved|list|length %}"),),
        "all",
        "2.3 counts every seed of the network without activation as solving XOR ('5 of 5 seeds solve XOR'; the |select is lost), contradicting the answer 'No, it cannot' right above it",
        "audit 8 (issue 29)", (1, 2, 3, 4, 5), True),
    # ---- ninth audit (issue 29): ten bugs chosen at 05:31-05:45 on 2026-12-07 by a fresh helper who read hw1/,
    # templates/ and this list, not tests/, after the tests were final (7cb96bc); each run against its likeliest tests
    # (a worktree of 4ca761f), 05:49-06:31. Verdicts: 5 caught; SURVIVED tpl-p1-sigma12-output-min,
    # tpl-p4-targeted-linf-mean-untargeted, signpgd-start-name-flipped, p5-changed-pixels-over-failures,
    # training-last-batch-dropped, each since given its own test (68947c0, c15c0b0, 2e7900d, 8796aca).
    # ------------------------------------------------------------------ parts (4)
    Bug("audit9-p2-corner-gap-without-abs", "hw1/parts/part2_xor/result.py",
        (("return max(1 - abs(v) for h in self.snapshot_hidden[-1] for v in h)",
          "return max(1 - v for h in self.snapshot_hidden[-1] for v in h)"),),
        "all",
        "2.2 'What the figures show': the final hidden images' distance from their corners forgets |v|, so a coordinate near -1 counts as nearly 2 away: the text says the images lie 'towards' the corners '(every coordinate within 2.00 of its corner)' instead of at them within a few hundredths",
        "audit 9 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit9-p3-curves-apart-argmin", "hw1/parts/part3_cnn/result.py",
        (("k = max(range(len(gaps)), key=gaps.__getitem__) if gaps else 0",
          "k = min(range(len(gaps)), key=gaps.__getitem__) if gaps else 0"),),
        "all",
        "Part 3 Q2: the evaluation where the smoothed training accuracy and the test accuracy are 'furthest apart' is the one where they are closest (min for max), so the sentence names the wrong epoch and accuracies, or claims the two 'agree within a point at every evaluation' when they do not",
        "audit 9 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit9-p4-finetuned-control-files-swapped", "hw1/parts/part4_adversarial/retraining.py",
        (("    save_weights(finetuned, ctx.artifact(FINETUNED))\n    save_weights(control, ctx.artifact(FINETUNED_CONTROL))",
          "    save_weights(finetuned, ctx.artifact(FINETUNED_CONTROL))\n    save_weights(control, ctx.artifact(FINETUNED))"),),
        "all",
        "4.3(b)'s handed-in networks are swapped: cnn_finetuned_adversarial.pt holds the control fine-tuned on clean images only and cnn_finetuned_control.pt the network fine-tuned with adversarial images, so loading the file the report names does not reproduce its held-back accuracies and fresh attacks",
        "audit 9 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit9-p5-changed-pixels-over-failures", "hw1/parts/part5_beyond/compute.py",
        (('"median_changed_pixels": _median(outcome.changed_pixels[ok].double()),',
          '"median_changed_pixels": _median(outcome.changed_pixels.double()),'),),
        "all",
        "Part 5's 'Pixels changed' / 'Median pixels changed' columns (5.1's confidence table, 5.2's attack on every network) take the median over every attacked image, failed attacks included, while the captions say 'medians over successful attacks'",
        "audit 9 (issue 29)", (1, 2, 3, 4, 5), False),
    # ------------------------------------------------------------------ toolkit (3)
    Bug("audit9-attacks-l2-squared", "hw1/toolkit/attacks.py",
        (("l2=flat.norm(dim=1).cpu(),", "l2=flat.pow(2).sum(dim=1).cpu(),"),),
        "all",
        "every attack's 'L2 size' is the squared L2 norm (the square root forgotten): Parts 4 and 5's median and mean L2 columns, the step-size comparison, the examples, the fresh attacks and the L2 growth sentences report ||delta||^2, not ||delta||_2",
        "audit 9 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit9-signpgd-start-name-flipped", "hw1/toolkit/bounded.py",
        (("self.name = f\"PGD-{steps} ({'random' if random_start else 'zero'} start)\"",
          "self.name = f\"PGD-{steps} ({'zero' if random_start else 'random'} start)\""),),
        "all",
        "5.2 and the front page name the bounded evaluation's PGD 'PGD-40 (random start)' although it starts from zero (the label's branches swapped), contradicting '(PGD: 40 sign steps of b/10 from a zero start)' in the same paragraph and in every robust-accuracy caption",
        "audit 9 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit9-training-last-batch-dropped", "hw1/toolkit/training.py",
        (("self.per_epoch = (len(self.train_x) + config.batch_size - 1) // config.batch_size",
          "self.per_epoch = len(self.train_x) // config.batch_size"),),
        "all",
        "every CNN's epoch drops its incomplete last batch (floor instead of ceiling: 468 iterations per epoch, 96 of the 60,000 training images never seen in a full run) while 3.2 says '469 iterations per epoch, 60,000 training images': cnn.pt, model.pth, the retrained and Part 5 networks and all their accuracies change (a quick run's 4,096 / 64 divides evenly)",
        "audit 9 (issue 29)", (1, 2, 3, 4, 5), False),
    # ------------------------------------------------------------------ report templates (3)
    Bug("audit9-tpl-summary-p5-random-control-is-universal", "templates/summary/part5.html.j2",
        (("{{ row.random_fooling_rate|pct(1) }}{% endfor %}", "{{ row.fooling_rate|pct(1) }}{% endfor %}"),),
        "all",
        "the front page's universal-perturbation row gives, as the random control's fooling rate, the universal perturbation's own (e.g. '45.2% / 45.2%'), hiding the gap the report is about",
        "audit 9 (issue 29)", (1, 2, 3, 4, 5), True),
    Bug("audit9-tpl-p4-targeted-linf-mean-untargeted", "templates/sections/part4.html.j2",
        (("<td>{{ t.linf.median|num(2) }} ({{ t.linf.mean|num(2) }})</td>",
          "<td>{{ t.linf.median|num(2) }} ({{ u.linf.mean|num(2) }})</td>"),),
        "all",
        "Part 4's attack table: the targeted column's mean L-inf (in brackets) is the untargeted attack's mean (copy-paste of the column beside it)",
        "audit 9 (issue 29)", (1, 2, 3, 4, 5), True),
    Bug("audit9-tpl-p1-sigma12-output-min", "templates/answers/part1.html.j2",
        (("= {{ r.output_max|num(6) }}$).", "= {{ r.output_min|num(6) }}$)."),),
        "all",
        "Part 1's choice of range says sigma(12) = 0.000006 (the grid's smallest output, sigma(-12)) instead of 0.999994",
        "audit 9 (issue 29)", (1, 2, 3, 4, 5), True),
    # ---- audit 10 (issue 29): ten bugs chosen at 07:20-07:25 on 2026-12-07 by a fresh helper who read hw1/,
    # templates/ and this list, not tests/: parts 5 (one in each of parts 1-5), toolkit 2 (train_config.py,
    # attacks.py), report rendering and templates 3 (handins.py, two templates). Each run against its likeliest tests
    # (a worktree of 797a675), 07:55-08:11. Verdicts: 5 caught; SURVIVED tpl-p2-identity-within-001-without-abs,
    # tpl-p3-off-scale-last-iteration-index0, p3-top-confusions-errors-all-pairs,
    # p5-mean-brightening-over-changed-pixels, universal-batches-from-first-images, each since given its own test.
    # The two template bugs' arithmetic then moved into the results (Part2Result.outputs_near_labels,
    # Part3Result.batches_below_floor): they are planted there now.
    # ------------------------------------------------------------------ parts (5)
    Bug("audit10-p1-badly-wrong-without-abs", "hw1/parts/part1_neuron/compute.py",
        (('badly_wrong = np.abs(arrays["output"] - config.y) > config.badly_wrong',
          'badly_wrong = arrays["output"] - config.y > config.badly_wrong'),),
        "all",
        "1.6 counts as 'badly wrong' only the points where the neuron overshoots the target (y_hat - y > 0.4, the abs forgotten), so 'among the grid points where the prediction is badly wrong (|y_hat - y| > 0.4, N% of the grid)' gives about half the true share, and the vanishing-gradient shares are taken over one saturated side only",
        "audit 10 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit10-p2-corner-groups-h1-twice", "hw1/parts/part2_xor/result.py",
        (("groups.setdefault((1 if h1 > 0 else -1, 1 if h2 > 0 else -1), [])",
          "groups.setdefault((1 if h1 > 0 else -1, 1 if h1 > 0 else -1), [])"),),
        "all",
        "2.2 'What the figures show': the final hidden images are grouped by the corner (sign h1, sign h1) (copy-paste of h1 for h2), so an input whose image sits at a mixed corner such as (1, -1) is said to lie at or towards (1, 1) or (-1, -1), and the sentence's grouping of the four inputs by corner is wrong",
        "audit 10 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit10-p3-top-confusions-errors-all-pairs", "hw1/parts/part3_cnn/result.py",
        (('"errors": sum(p["count"] for p in listed) + cut * len(tied)}',
          '"errors": sum(p["count"] for p in pairs)}'),),
        "all",
        "Part 3 Q2: 'The most frequent errors are a read as b (n), ...: together N of the M errors' sums every confusion pair instead of the pairs it names, so it always claims the named pairs account for all M errors",
        "audit 10 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit10-p4-clean-accuracy-on-training-share", "hw1/parts/part4_adversarial/retraining.py",
        (("clean_accuracy=_share(clean_pred[self.outside] == self.test_labels[self.outside]),",
          "clean_accuracy=_share(clean_pred[~self.outside] == self.test_labels[~self.outside]),"),),
        "all",
        "4.3(b): the clean accuracies of the Part 3 network, the control and the fine-tuned network are measured on the training share's few attacked test images (the mask inverted: ~outside), not on the N test images outside it as the text and Table say; the Part 3 network's reads 100.00% (it classifies every attacked image correctly) and the 'within 0.3 points' / 'at a cost in clean accuracy' comparison changes",
        "audit 10 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit10-p5-mean-brightening-over-changed-pixels", "hw1/parts/part5_beyond/compute.py",
        (('"mean_value": float(v.mean()),', '"mean_value": float(v[v > 0].mean()),'),),
        "all",
        "5.3: 'v brightens N of the 784 pixels, ... x per pixel on average over all 784' gives the mean over the brightened pixels only (wrong denominator), a larger number than the average over all 784",
        "audit 10 (issue 29)", (1, 2, 3, 4, 5), False),
    # ------------------------------------------------------------------ toolkit (2)
    Bug("audit10-smoothing-window-min-not-max", "hw1/toolkit/train_config.py",
        (("return max(5, self.iterations_per_epoch // 10)", "return min(5, self.iterations_per_epoch // 10)"),),
        "all",
        "Part 3: the smoothed training accuracy averages over at most 5 batches (min for max, the floor of 5 written as a cap) instead of a tenth of an epoch (46 batches in a full run, 6 in a quick one): the curves' caption 'their mean over the last N batches', 'against X on the last N training batches before it' and the 'furthest apart' sentence print other N and other accuracies",
        "audit 10 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit10-universal-batches-from-first-images", "hw1/toolkit/attacks.py",
        (("index = torch.randint(0, len(images), (batch_size,), generator=generator).to(images.device)",
          "index = torch.randint(0, batch_size, (batch_size,), generator=generator).to(images.device)"),),
        "all",
        "5.3: the universal perturbation's random batches are drawn from the first 256 training images only (randint's bound is the batch size, not the number of images), while the text says random batches of the training images: universal.pt, its fooling rates, pixels, classes, transfer and the random control's rates change",
        "audit 10 (issue 29)", (1, 2, 3, 4, 5), False),
    # ------------------------------------------------------------------ report rendering and templates (3)
    Bug("audit10-tpl-p2-identity-within-001-without-abs", "hw1/parts/part2_xor/result.py",
        (("sum(abs(o - y) <= NEAR_LABEL for o, y in zip(outputs, XOR_LABELS))",
          "sum((o - y) <= NEAR_LABEL for o, y in zip(outputs, XOR_LABELS))"),),
        "all",
        "Part 2's outputs table: 'Outputs within 0.01 of their label' for the network without activation forgets |abs|, so both label-1 inputs (output about 0.5, 0.5 - 1 < 0.01) count: '2 of 4' instead of '0 of 4' for a network that solves nothing",
        "audit 10 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit10-tpl-p3-off-scale-last-iteration-index0", "hw1/parts/part3_cnn/result.py",
        (("for k, a in enumerate(self.history.iteration_accuracy, start=1)",
          "for k, a in enumerate(self.history.iteration_accuracy)"),),
        "all",
        "the Part 3 curves' caption names the last training batch below the 90% axis one iteration early (0-based loop.index0 for the 1-based iteration): 'N training batches, all in the first K of M iterations' (or 'at iteration K') with K one too small, so the last off-scale batch is not within the stated range",
        "audit 10 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit10-handin-a-range-off-by-one", "hw1/rendering/handins.py",
        (('("hw1a", "a", range(1, 4))', '("hw1a", "a", range(1, 3))'),),
        "all",
        "hand-in a (hw1a.pdf) holds parts 1 and 2 only (range's end is exclusive: range(1, 3)), so Part 3 is in neither hand-in while hw1a's title says 'Part (a): problems 1, 2 and 3' and its contents and front-page table leave out the CNN and its 99% result",
        "audit 10 (issue 29)", (1, 2, 3, 4, 5), True),
    # ---- audit 11 (issue 29): ten bugs chosen at 08:20-08:25 on 2026-12-07 by a fresh helper who read hw1/,
    # templates/ and this list, not tests/, after the tests were final (82933ea): parts 5 (one in each of parts 1-5),
    # toolkit 2 (training.py, attacks.py), report templates 3 (answers/part2, sections/part4, answers/part5). Each run
    # against its likeliest tests (a worktree of d50d455), 08:37-09:00. Verdicts: 5 caught; SURVIVED
    # tpl-p2-escape-budget-multiple, tpl-p4-trained-on-dagger-inverted, tpl-p5-goodfellow-clean-is-defended,
    # p2-hessian-of-summed-loss, each since given its own test; sign-ascent-train-mode made the quick run crash
    # (Part 5's transfer table called predict on an empty batch when an attack fooled a network on no image: fixed,
    # such a network now gets no rate) and was run again after the fix (32a71ab): CAUGHT by
    # test_part5::test_training_attack_keeps_the_constraints_and_leaves_the_network_alone (2.running_mean) and its
    # twin in test_part5_robustness.
    Bug("audit11-p1-l2-peak-z-without-abs", "hw1/parts/part1_neuron/compute.py",
        (("l2_grad_abs_max_at_z=float(abs(z[peak])),", "l2_grad_abs_max_at_z=float(z[peak]),"),),
        "all",
        "1.3 and the 1.3 figure caption: the L2 gradient is said to peak at '|z| ≈ -1.2' (-1.3 in a full run), a negative absolute value, because the abs of z at the first argmax (on the z < 0 side of the grid) is lost",
        "audit 11 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit11-p2-hessian-of-summed-loss", "hw1/parts/part2_xor/study.py",
        (("return torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)",
          'return torch.nn.functional.binary_cross_entropy_with_logits(logits, labels, reduction="sum")'),),
        "all",
        "2.2 'The seeds that fail': the Hessian is taken of the summed instead of the mean cross-entropy over the four inputs, so every smallest and largest eigenvalue in the stuck-seed table and in 'The Hessian's smallest eigenvalue is ... against largest eigenvalues ...' is 4 times too large",
        "audit 11 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit11-p3-misclassified-confidence-of-true-label", "hw1/parts/part3_cnn/compute.py",
        (("confidence=probabilities[shown, predictions[shown]].numpy(),",
          "confidence=probabilities[shown, test_labels[shown]].numpy(),"),),
        "all",
        "part3_misclassified.npz stores, as the network's confidence in its wrong prediction for each misclassified digit shown, its probability of the TRUE digit (indexed by test_labels instead of predictions), so the saved confidences (and the figure's 'confidence' above each digit) are small numbers that do not match the ordering 'most confidently misclassified'",
        "audit 11 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit11-p4-targeted-accuracy-against-targets", "hw1/parts/part4_adversarial/retraining.py",
        (("targeted_accuracy=_share(tg_pred == self.targeted_labels),",
          "targeted_accuracy=_share(tg_pred == self.targets),"),),
        "all",
        "4.3(b): every network's 'accuracy, held-back targeted images' is the share it classifies as the attack's TARGET (labels and targets mixed up), so the Part 3 network reads 100.0% on its own successful targeted images instead of 0.0%, 'which misreads all of them' is dropped, and the fine-tuned/control comparison of targeted accuracy changes",
        "audit 11 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit11-p5-universal-fooling-vs-labels", "hw1/parts/part5_beyond/compute.py",
        (('fooled = predicted != clean["original"]',
          'fooled = predicted != data.test_labels[: len(test_x)]'),),
        "all",
        "5.3: the universal perturbation's 'fooling rate (prediction changed)' counts misclassified test images against the true labels instead of changed predictions, so every fooling rate of the table, the headline and the front page includes the Part 3 network's clean errors while the random control's rate is still measured as changed predictions",
        "audit 11 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit11-training-eval-iteration-zero-based", "hw1/toolkit/training.py",
        (("stopped = self._evaluate(epoch * self.per_epoch + step + 1, loss, guard, bar)",
          "stopped = self._evaluate(epoch * self.per_epoch + step, loss, guard, bar)"),),
        "all",
        "Part 3 Q2: every test evaluation is recorded one iteration early (the 0-based step used as the 1-based iteration): the history's eval_iteration and eval_epoch are off by one (a quick run's 'At the first evaluation, after 0.50 epochs' reads 0.48, and its last evaluation 0.98 instead of 1.00), and the smoothed training accuracy 'on the last N training batches before it' and the 'furthest apart' comparison leave out the batch just before each evaluation and take one batch earlier instead",
        "audit 11 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit11-sign-ascent-train-mode", "hw1/toolkit/attacks.py",
        (("delta = torch.zeros_like(x) if start is None else start\n    with eval_mode(model):",
          "delta = torch.zeros_like(x) if start is None else start\n    with torch.enable_grad():"),),
        "all",
        "5.2: the training adversaries (the single-step network's FGSM and the defence's PGD with random start) run the network in train mode, so BatchNorm normalises with the adversarial batch's statistics and its running statistics absorb every adversarial pass, while the text and the docstring say the attack is made on the network in eval mode: cnn_goodfellow_single_step.pt, cnn_adversarially_trained.pt and all their clean and robust accuracies, guard checks and transfer rates change",
        "audit 11 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit11-tpl-p2-escape-budget-multiple", "templates/answers/part2.html.j2",
        (("({{ ((c.steps + c.escape_steps) / c.steps)|num(0) }} times the budget in all)",
          "({{ (c.escape_steps / c.steps)|num(0) }} times the budget in all)"),),
        "all",
        "2.2 'The seeds that fail': 'Running N more steps (K times the budget in all)' leaves out the first budget: '4 times the budget in all' instead of 5 in a full run ('1 times' instead of 2 in a quick one)",
        "audit 11 (issue 29)", (1, 2, 3, 4, 5), True),
    Bug("audit11-tpl-p4-trained-on-dagger-inverted", "templates/sections/part4.html.j2",
        (("{% if not e.held_back %}&thinsp;†{% endif %}", "{% if e.held_back %}&thinsp;†{% endif %}"),),
        "all",
        "4.3's worked-examples table marks with † ('this example's adversarial images were among those the network fine-tuned with adversarial images was trained on') exactly the held-back examples it never trained on, and leaves the trained-on ones unmarked, contradicting the sentence 'Of the worked examples, ... are in the held-back share'",
        "audit 11 (issue 29)", (1, 2, 3, 4, 5), True),
    Bug("audit11-tpl-p5-goodfellow-clean-is-defended", "templates/answers/part5.html.j2",
        (("{{ r.goodfellow_test_accuracy|pct(2) }}). Its adversarial", "{{ r.defended_test_accuracy|pct(2) }}). Its adversarial"),),
        "all",
        "5.2 'Two defences': the Goodfellow-style single-step network's 'clean accuracy' is the defended network's (copy-paste of the field), so the historical baseline is credited with the new defence's clean accuracy",
        "audit 11 (issue 29)", (1, 2, 3, 4, 5), True),
    # ---- the field review of 2026-12-07 (a helper listed result fields no test re-derived; issue 29)
    Bug("review-p4-stats-without-success-mask", "hw1/parts/part4_adversarial/compute.py",
        (("        v = values[ok].double()\n", "        v = values.double()\n"),),
        ("tests/test_rederive_part4.py",),
        "Table 6: the statistics of steps, sizes and final confidence count the failed attacks too (the caption says successful only)",
        "field review (issue 29)", (3, 4)),
    Bug("review-p4-targeted-examples-without-offset", "hw1/parts/part4_adversarial/compute.py",
        (("(targeted, targets, n, tg_probs)", "(targeted, targets, 0, tg_probs)"),),
        ("tests/test_rederive_part4.py",),
        "4.2: the targeted worked examples name the untargeted rows of adversarial.pt, so Figure 15 draws untargeted images",
        "field review (issue 29)", (3, 4)),
    Bug("review-p4-grid-index-without-offset", "hw1/parts/part4_adversarial/compute.py",
        (("                pair_index[s, t] = n + i\n", "                pair_index[s, t] = i\n"),),
        ("tests/test_rederive_part4.py",),
        "Figure 16: each (digit, target) cell shows the untargeted adversarial image of the test image, not the targeted one",
        "field review (issue 29)", (3, 4)),
    Bug("review-p4-attacks-skip-first-image", "hw1/parts/part4_adversarial/compute.py",
        (("squeeze(1)[: config.images]", "squeeze(1)[1: config.images + 1]"),),
        ("tests/test_rederive_part4.py",),
        "Part 4 says it attacks 'the first N test images it classifies correctly' but skips the first",
        "field review (issue 29)", (3, 4)),
    Bug("review-p4-wrong-confidence-with-failures", "hw1/parts/part4_adversarial/compute.py",
        (("retrained_wrong = ok & (retrained_pred != labels)", "retrained_wrong = retrained_pred != labels"),),
        ("tests/test_rederive_part4.py",),
        "4.3 (a): the retrained network's median confidence in its wrong answers counts images the attack never fooled",
        "field review (issue 29)", (3, 4)),
    Bug("review-p4-sweep-always-chosen-eps", "hw1/parts/part4_adversarial/compute.py",
        (("outcome = ConstrainedIFGSM(original, eps, config.max_steps", "outcome = ConstrainedIFGSM(original, config.eps, config.max_steps"),),
        ("tests/test_rederive_part4.py",),
        "4.1's choice of epsilon: every row of Table 7 is the chosen step's attack",
        "field review (issue 29)", (3, 4)),
    Bug("review-p4-held-back-by-row", "hw1/parts/part4_adversarial/retraining.py",
        (('"held_back": row % n in held', '"held_back": row in held'),),
        ("tests/test_rederive_part4.py",),
        "Table 8's dagger: every targeted example is counted as trained on",
        "field review (issue 29)", (3, 4)),
    Bug("review-p4-retrained-clean-accuracy-unmasked", "hw1/parts/part4_adversarial/retraining.py",
        (('{"transfer_clean_accuracy": _share(clean_pred[self.outside] == self.test_labels[self.outside])',
          '{"transfer_clean_accuracy": _share(clean_pred == self.test_labels)'),),
        ("tests/test_part4_retraining.py",),
        "Table 10: the retrained-from-scratch column's clean accuracy counts the training share's test images too",
        "field review (issue 29)", (3, 4)),
    Bug("review-p4-fresh-attack-keeps-misread", "hw1/parts/part4_adversarial/retraining.py",
        (("    keep = prediction == labels\n", "    keep = torch.ones_like(labels, dtype=torch.bool)\n"),),
        ("tests/test_rederive_part4.py",),
        "Table 10: the fresh attacks count images the network already misreads (the text says 'that it classifies correctly')",
        "field review (issue 29)", (3, 4)),
    Bug("review-finetune-eval-mode", "hw1/parts/part4_adversarial/retraining.py",
        (("    model.train()\n    with full_float32():", "    model.eval()\n    with full_float32():"),),
        ("tests/test_rederive_fields.py::test_finetune_takes_one_step_per_full_batch_in_train_mode",),
        "4.3 (b): fine-tuning runs with BatchNorm frozen on its running statistics",
        "field review (issue 29)"),
    Bug("review-p5-targeted-transfer-unmasked", "hw1/parts/part5_beyond/compute.py",
        (('stats["transfer_hit_target"] = float((retrained_prediction[ok] == targets[ok]).float().mean())',
          'stats["transfer_hit_target"] = float((retrained_prediction == targets).float().mean())'),),
        ("tests/test_rederive_part5.py",),
        "5.1: the targeted transfer counts images that never reached the confidence",
        "field review (issue 29)", (3, 4, 5)),
    Bug("review-p5-goodfellow-accuracy-is-defended", "hw1/parts/part5_beyond/compute.py",
        (('goodfellow_test_accuracy=accuracy["single-step (Goodfellow-style)"]',
          'goodfellow_test_accuracy=accuracy["adversarially trained"]'),),
        ("tests/test_rederive_part5.py",),
        "5.2: the single-step network is credited with the defended network's clean accuracy",
        "field review (issue 29)", (3, 4, 5)),
    Bug("review-p5-robust-clean-is-robust", "hw1/toolkit/bounded.py",
        (("clean_accuracy=float((predictions == labels.cpu()).float().mean())", "clean_accuracy=float(mask[0].float().mean())"),),
        ("tests/test_rederive_part5.py",),
        "Table 12: 'Clean (these images)' is the robust accuracy at the smallest budget",
        "field review (issue 29)", (3, 4, 5)),
    Bug("review-training-batch-accuracy-count", "hw1/toolkit/training.py",
        (("corrects.append((logits.argmax(dim=1) == y).float().mean())", "corrects.append((logits.argmax(dim=1) == y).float().sum())"),),
        ("tests/test_rederive_fields.py",),
        "3.2: the training accuracy curve plots counts of a batch, not shares",
        "field review (issue 29)", (3,)),
    Bug("review-training-loss-adversarial-half-is-clean", "hw1/toolkit/training.py",
        (("F.cross_entropy(both[len(x):].float(), y)", "F.cross_entropy(both[: len(x)].float(), y)"),),
        ("tests/test_toolkit_evaluation.py",),
        "5.2: adversarial training silently trains on clean images only",
        "field review (issue 29)"),
    Bug("review-p3-parameters-with-buffers", "hw1/parts/part3_cnn/compute.py",
        (("sum(p.numel() for p in model.parameters())", "sum(v.numel() for v in model.state_dict().values())"),),
        ("tests/test_rederive_fields.py",),
        "3.1: the parameter count includes BatchNorm's running statistics",
        "field review (issue 29)", (3,)),
    Bug("review-p1-ce-max-of-gradient", "hw1/parts/part1_neuron/compute.py",
        (('ce_max=float(arrays["ce_loss"].max())', 'ce_max=float(arrays["ce_grad_w"].max())'),),
        ("tests/test_rederive_fields.py",),
        "1.6: the cross-entropy's grid maximum is its gradient's",
        "field review (issue 29)", (1,)),
    Bug("review-p2-identity-loss-is-tanh", "hw1/parts/part2_xor/compute.py",
        (('"identity_loss": float(losses[n + row])', '"identity_loss": float(losses[row])'),),
        ("tests/test_rederive.py",),
        "2.3: the network without activation is credited with the tanh network's final loss",
        "field review (issue 29)", (2,)),
    Bug("review-p2-saturation-without-abs", "hw1/parts/part2_xor/network.py",
        (('"saturation": (np.abs(hidden) > SATURATED)', '"saturation": (hidden > SATURATED)'),),
        ("tests/test_rederive_fields.py",),
        "2.2's stuck seeds: saturation counts only positive saturated units",
        "field review (issue 29)", (2,)),
    Bug("review-apgd-restart-from-last-iterate", "hw1/toolkit/bounded.py",
        (("state.delta = torch.where(h, state.best, state.delta)", "state.delta = torch.where(h, state.previous, state.delta)"),),
        ("tests/test_part5_robustness.py::test_apgd_step_halving_and_restarts_follow_croce_and_hein_written_here",),
        "5.2's APGD restarts a stalled image from its previous iterate instead of its best point: a weaker attack, a higher robust accuracy",
        "field review (issue 29)"),
    Bug("review-apgd-first-checkpoint-late", "hw1/toolkit/bounded.py",
        (("self.first_check = max(int(0.22 * iterations), 1)", "self.first_check = max(int(0.25 * iterations), 1)"),),
        ("tests/test_part5_robustness.py::test_apgd_step_halving_and_restarts_follow_croce_and_hein_written_here",),
        "5.2's APGD checks its step size on another schedule than Croce and Hein's, which the text cites",
        "field review (issue 29)"),
    # ---- audit 12 (issue 29)
    # spread: 5 in hw1/parts/ (parts 1, 2, 3, 4, 5), 2 in hw1/toolkit/ (bounded.py, training.py), 3 in templates/
    Bug("audit12-p1-z-sign-of-bias", "hw1/parts/part1_neuron/compute.py",
        (("    z = w_grid * config.x + b_grid\n", "    z = w_grid * config.x - b_grid\n"),),
        ("tests/test_part1.py",),
        "1.3 says the L2 gradient peaks at |z| of about 10.8 (w - b at the peak) instead of about 1.2, and "
        "ce_min_at_z in results.json is not 0",
        "audit 12 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit12-p2-loss-summed-over-points", "hw1/parts/part2_xor/network.py",
        (("return (np.logaddexp(0.0, logits) - LABELS * logits).mean(axis=1)",
          "return (np.logaddexp(0.0, logits) - LABELS * logits).sum(axis=1)"),),
        ("tests/test_part2.py",),
        "every Part 2 loss (the outputs table's 'Mean cross-entropy', the snapshot losses, the network without "
        "activation's final loss) is 4 times the mean cross-entropy the text defines: the identity network ends at "
        "4 log 2 = 2.77, not log 2",
        "audit 12 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit12-p3-train-images-without-subset", "hw1/parts/part3_cnn/compute.py",
        (("trained = len(data.train_images[: config.train_subset or None])",
          "trained = len(data.train_images)"),),
        ("tests/test_rederive_fields.py",),
        "3.2 says the network trained on 60,000 training images when the run used only its train_subset "
        "(4,096 in the quick run), and the training throughput is inflated by the same factor",
        "audit 12 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit12-p4-expected-transfer-from-accuracy", "hw1/parts/part4_adversarial/result.py",
        (('"expected": sum(summary.retrained_misclassified for _, _, _, summary in rows)}',
          '"expected": sum(summary.retrained_accuracy_adversarial for _, _, _, summary in rows)}'),),
        ("tests/test_report_sentences_part45.py",),
        "4.3 (a) says about X of the worked examples would be expected to be misread at the run's transfer rates, "
        "but X is computed from the rates at which the retrained network reads them correctly",
        "audit 12 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit12-p5-guard-budget-is-training-budget", "hw1/parts/part5_beyond/compute.py",
        (('guard_record = {"budget": config.robust_headline,',
          'guard_record = {"budget": config.defence_budget,'),),
        ("tests/test_rederive_fields.py",),
        "5.2 says the catastrophic-overfitting guard attacks its held-out images at b = 0.7 (the training budget) "
        "while its checks ran at the headline budget 0.6",
        "audit 12 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit12-signpgd-descends", "hw1/toolkit/bounded.py",
        (("state.delta = project(state.delta + step * state.gradient.sign(), state.upper)",
          "state.delta = project(state.delta - step * state.gradient.sign(), state.upper)"),),
        ("tests/test_part5_robustness.py",),
        "the bounded evaluation's PGD (and the guard's OneSidedPGD) descends the loss: 5.2's robust accuracies and "
        "guard checks are too high, and APGD is credited with the images PGD should have fooled",
        "audit 12 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit12-training-eval-epoch-floored", "hw1/toolkit/training.py",
        (("history.eval_epoch.append(iteration / self.per_epoch)",
          "history.eval_epoch.append(iteration // self.per_epoch)"),),
        ("tests/test_part3.py", "-k", "evaluated_at_the_stated_points"),
        "test evaluations are placed at whole epochs: 3.2 says the first evaluation came after 0.00 epochs, and the "
        "largest gain and where the learning rate stood then are misplaced",
        "audit 12 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit12-tpl-p1-sigma-of-half-range", "templates/answers/part1.html.j2",
        (("$\\sigma({{ (2 * part.config.half_range)|num(0) }})",
          "$\\sigma({{ part.config.half_range|num(0) }})"),),
        ("tests/test_claims.py::test_every_sentence_of_a_full_run_is_true",),
        "the choice of range says sigma(6) = 0.999994, which is sigma(12); sigma(6) is 0.997527",
        "audit 12 (issue 29)", (1, 2, 3, 4, 5), True),
    Bug("audit12-tpl-p2-other-seeds-off-by-one", "templates/sections/part2.html.j2",
        (("~ (r.robustness_seeds|length - 1) ~", "~ r.robustness_seeds|length ~"),),
        ("tests/test_report_sentences.py",),
        "the loss figure's caption counts the reported seed among 'the other seeds in grey' (5 instead of 4 in the "
        "quick run)",
        "audit 12 (issue 29)", (1, 2, 3, 4, 5), True),
    Bug("audit12-tpl-p4-original-confidence-of-adversarial-class", "templates/sections/part4.html.j2",
        (("({{ e.probabilities_before[e.label]|pct(1) }})",
          "({{ e.probabilities_before[e.prediction_after]|pct(1) }})"),),
        ("tests/test_report_numbers.py",),
        "the worked-examples table gives the original network's confidence in the true digit on the original image "
        "as its probability of the adversarial (wrong or target) class, near 0%",
        "audit 12 (issue 29)", (1, 2, 3, 4, 5), True),
    # ---- audit 13 (issue 29)
    # spread: 6 in hw1/parts/ (part1, part2, part3, part4, part5 x2), 2 in hw1/toolkit/ (training.py, models.py), 1 in report_macros.py, 1 in templates/
    Bug("audit13-p1-badly-wrong-without-abs", "hw1/parts/part1_neuron/compute.py",
        (('badly_wrong = np.abs(arrays["output"] - config.y) > config.badly_wrong',
          'badly_wrong = (arrays["output"] - config.y) > config.badly_wrong'),),
        ("tests/test_rederive.py", "-k", "part1"),
        "Part 1 counts only outputs far ABOVE the target as badly wrong, so the share of the grid that is badly wrong is about halved and the L2/CE vanishing-gradient shares are computed over one saturated tail only",
        "audit 13 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit13-p2-seeds-tried-off-by-one", "hw1/parts/part2_xor/compute.py",
        (('seeds_tried=reported["seed"] - ctx.seed + 1,', 'seeds_tried=reported["seed"] - ctx.seed,'),),
        ("tests/test_part2.py",),
        "Part 2 reports one seed fewer tried than were trained (0 when --seed itself solves XOR), so the report says the first seed tried does not solve XOR when it does",
        "audit 13 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit13-p3-top-confusions-include-diagonal", "hw1/parts/part3_cnn/result.py",
        (('for t in range(10) for p in range(10) if t != p and self.confusion[t][p]),',
          'for t in range(10) for p in range(10) if self.confusion[t][p]),'),),
        ("tests/test_claims.py::test_every_sentence_of_a_full_run_is_true",),
        "Part 3's 'most frequent confusions' list the confusion matrix's diagonal (correctly read digits, e.g. '1 read as 1', hundreds of times) as the network's commonest errors",
        "audit 13 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit13-p4-background-strict-comparison", "hw1/parts/part4_adversarial/compute.py",
        (('background = images <= -1.0', 'background = images < -1.0'),),
        ("tests/test_claims.py::test_every_sentence_of_a_full_run_is_true", "tests/test_rederive_part4.py"),
        "Part 4 says 0% of the pixels the attack brightens were black background in the original (no pixel is below -1), instead of the large share they really are",
        "audit 13 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit13-p5-fooled-into-clean-classes", "hw1/parts/part5_beyond/compute.py",
        (('"fooled_into": torch.bincount(perturbed_prediction[fooled], minlength=10).tolist(),',
          '"fooled_into": torch.bincount(clean["original"][fooled], minlength=10).tolist(),'),),
        ("tests/test_rederive.py", "-k", "universal"),
        "Part 5.3 counts the fooled images by the class they were read as BEFORE the universal perturbation, so the class the universal perturbation sends images to (and its share) is wrong",
        "audit 13 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit13-p5-universal-transfer-vs-original-clean", "hw1/parts/part5_beyond/compute.py",
        (('name: float((_perturbed_predictions(net, test_x, v, device) != clean[name]).float().mean())',
          'name: float((_perturbed_predictions(net, test_x, v, device) != clean["original"]).float().mean())'),),
        ("tests/test_rederive.py", "-k", "universal"),
        "Part 5.3's transfer of the universal perturbation to the retrained, single-step and adversarially trained networks compares their perturbed predictions with the ORIGINAL network's clean predictions, counting images each network already read differently as fooled",
        "audit 13 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit13-training-epoch-eval-mode", "hw1/toolkit/training.py",
        (("        self.model.train()\n", "        self.model.eval()\n"),),
        ("tests/test_toolkit_evaluation.py", "-k", "train_mode"),
        "Every CNN (Part 3's, Part 4's retrained and fine-tuned ones, Part 5's defences) is trained with BatchNorm in eval mode (fixed initial running statistics, never updated), so the reported test accuracies, curves and everything attacked downstream are those of a differently trained network",
        "audit 13 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit13-models-output-shape-with-batch", "hw1/toolkit/models.py",
        (('"output_shape": list(output.shape[1:]),', '"output_shape": list(output.shape),'),),
        ("tests/test_part3.py", "-k", "table1_layer_shapes"),
        "Part 3's architecture table gives every layer's output shape with a leading batch dimension of 1 (1 x 32 x 28 x 28 instead of 32 x 28 x 28)",
        "audit 13 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit13-sig-mantissa-extra-digit", "hw1/rendering/report_macros.py",
        (('mantissa, exponent = f"{value:.{digits - 1}e}".split("e")',
          'mantissa, exponent = f"{value:.{digits}e}".split("e")'),),
        ("tests/test_filters.py",),
        "Numbers printed with |sig in power-of-ten notation get one significant digit too many (e.g. Part 1's L2 gradient at the corner as 6.14x10^-6 under sig(2)), and values near a rounding edge can be rounded twice",
        "audit 13 (issue 29)", (1, 2, 3, 4, 5), True),
    Bug("audit13-tpl-p1-l2-peak-from-ce", "templates/answers/part1.html.j2",
        (('is largest in magnitude ({{ r.l2_grad_abs_max|num(3) }})',
          'is largest in magnitude ({{ r.ce_grad_abs_max|num(3) }})'),),
        ("tests/test_report_sentences.py",),
        "Part 1's answer to question 3 gives the largest L2 gradient magnitude as the cross-entropy gradient's maximum (about 0.5) instead of the L2 one (about 0.19)",
        "audit 13 (issue 29)", (1, 2, 3, 4, 5), True),
    # ---- audit 14 (issue 29): chosen 13:30-13:33 by a helper that read hw1/, templates/ and this list only, after the tests were final (00fd565, 13:26)
    # spread: 5 in hw1/parts/ (part1, part2, part3 compute.py; part4, part5 result.py), 2 in hw1/toolkit/ (attacks.py, train_config.py), 1 in report_macros.py (sig), 2 in templates/ (answers/part5, sections/part5)
    Bug("audit14-p1-badly-wrong-share-summed", "hw1/parts/part1_neuron/compute.py",
        (("badly_wrong_fraction=float(badly_wrong.mean()),", "badly_wrong_fraction=float(badly_wrong.sum()),"),),
        ("tests/test_rederive.py", "-k", "part1"),
        "1.6 '2) The gradients': the badly wrong grid points are said to be e.g. '110000% of the grid' (their count, not their share); results.json's badly_wrong_fraction is a count of points",
        "audit 14 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit14-p2-classified-any-output", "hw1/parts/part2_xor/compute.py",
        (("snapshot_classified=[bool(np.all((np.array(o) > 0.5) == LABELS.astype(bool))) for o in outputs_at],",
          "snapshot_classified=[bool(np.any((np.array(o) > 0.5) == LABELS.astype(bool))) for o in outputs_at],"),),
        ("tests/test_rederive.py", "-k", "part2"),
        "2.2 'What the figures show': a snapshot counts as classified when any one of the four outputs is on its label's side of 0.5, so the text says the output layer already classifies XOR at step 0 ('the output layer's line is already one of them' or 'first puts all four points on the correct side of 0.5 at step 0'), which no near-affine start can do",
        "audit 14 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit14-p3-misclassified-label-is-prediction", "hw1/parts/part3_cnn/compute.py",
        (("label=test_labels[shown].numpy(),", "label=predictions[shown].numpy(),"),),
        ("tests/test_rederive.py", "-k", "part3"),
        "Part 3's misclassified-digits artifact (part3_misclassified.npz) stores the network's prediction as the true label, so every digit of the 'most confidently misclassified' figure is titled 'true 7 → 7': the true digits are lost",
        "audit 14 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit14-p4-pairs-reached-counts-zero", "hw1/parts/part4_adversarial/result.py",
        (('"reached": sum(v > 0 for v in cells)', '"reached": sum(v >= 0 for v in cells)'),),
        ("tests/test_report_sentences_part45.py",),
        "4.2: 'Every one of the 90 (digit, target) pairs was reached' although at most 64 pairs were even attacked in a quick run (a success rate of 0 counts as reached); the '(N by every attack on them)' aside appears with it",
        "audit 14 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit14-p5-apgd-extra-includes-pgd", "hw1/parts/part5_beyond/result.py",
        (("return sum(self.first_fooled[self.budgets.index(budget)][1:])",
          "return sum(self.first_fooled[self.budgets.index(budget)])"),),
        ("tests/test_claims.py::test_every_sentence_of_a_full_run_is_true",),
        "5.2: 'At b = 0.6 APGD fooled N images of the single-step network that PGD had not fooled, and M of the defended network's' counts the images PGD fooled too (every attack's first-fooled count summed), so N and M are far larger than what APGD added",
        "audit 14 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit14-attacks-targeted-hit-on-label", "hw1/toolkit/attacks.py",
        (("(top_class == goal[active])", "(top_class == labels[active])"),),
        ("tests/test_attacks.py", "tests/test_rederive.py", "-k", "targeted or confidence_table"),
        "the targeted attack stops when the network predicts the TRUE label with >= 90% confidence, so 4.2 reports a ~100% targeted success after a median of 0 steps with L2 0 (the 'adversarial' images are the clean ones), the target grid shows unperturbed digits, 4.3's targeted transfer/hit-target numbers and fine-tuning set, and 5.1's targeted rows all change",
        "audit 14 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit14-train-gain-to-epoch-same-eval", "hw1/toolkit/train_config.py",
        (('"to_epoch": self.eval_epoch[k + 1],', '"to_epoch": self.eval_epoch[k],'),),
        ("tests/test_claims.py::test_every_sentence_of_a_full_run_is_true",),
        "3.2: 'The largest gain between two evaluations is from epoch 0.50 to 0.50' (the gain's end epoch is its start; 1.00 in truth), and the learning-rate phase named for it is decided on the wrong epoch",
        "audit 14 (issue 29)", (1, 2, 3, 4, 5), False),
    Bug("audit14-sig-power-with-full-value", "hw1/rendering/report_macros.py",
        (("return mathtex.power_of_ten(mantissa, exponent)", "return mathtex.power_of_ten(rounded, exponent)"),),
        ("tests/test_filters.py", "tests/test_render.py"),
        "every sig number printed with a power of ten shows the whole value as its mantissa: Part 3's one-cycle start rate '1.6×10^-4' reads '0.00016×10^-4', Part 1's output minimum and autograd agreement likewise",
        "audit 14 (issue 29)", (1, 2, 3, 4, 5), True),
    Bug("audit14-tpl-p5-guard-collapse-points-unscaled", "templates/answers/part5.html.j2",
        (("{{ (100 * r.guard.collapse)|num(0) }} percentage points",
          "{{ r.guard.collapse|num(0) }} percentage points"),),
        ("tests/test_report_sentences_part45.py",),
        "5.2 'Two defences': the guard 'would restore the best weights and stop on a drop of more than 0 percentage points' (the 0.2 share printed as points without the factor 100) instead of 20",
        "audit 14 (issue 29)", (1, 2, 3, 4, 5), True),
    Bug("audit14-tpl-p5-goodfellow-passes-alpha-inverted", "templates/sections/part5.html.j2",
        (("{% set mixed = 2 if c.adversarial_alpha > 0 else 1 %}",
          "{% set mixed = 2 if c.adversarial_alpha == 0 else 1 %}"),),
        ("tests/test_report_sentences_part45.py",),
        "5.2's robust-accuracy table: the single-step (Goodfellow-style) network's training cost is '2 × 1' forward-backward passes × epochs instead of '3 × 1' (its clean-and-adversarial mixed loss, alpha = 0.5, counted as one update pass)",
        "audit 14 (issue 29)", (1, 2, 3, 4, 5), True),
]


def copy_project(target: Path, worktree: bool = False, commit: str = "HEAD") -> None:
    """The product as committed (HEAD), so that others' unfinished edits in the checkout do not decide the verdict,
    or as it stands in the working tree; the tests always as they stand."""
    if not worktree:
        archive = subprocess.run(["git", "archive", "--format=tar", commit, *PRODUCT], cwd=REPO, capture_output=True,
                                 check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    for name in (TESTS if not worktree else PRODUCT + TESTS):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
        else:
            shutil.copy(source, target / name)


def plant(bug: Bug, project: Path) -> str | None:
    """Plant the bug in the copy; None, or why it could not be planted."""
    path = project / bug.file
    text = path.read_text()
    for old, new in bug.edits:
        found = text.count(old)
        if found != 1:
            return f"{bug.file}: the text to replace occurs {found} times (the code moved on; update the bug): {old!r}"
        text = text.replace(old, new)
    if bug.file.endswith(".py") and "math." in text and not re.search(r"^import math$", text, re.M):
        future = "from __future__ import annotations\n"  # must stay the first statement
        text = text.replace(future, future + "import math\n", 1) if future in text else "import math\n" + text
    path.write_text(text)
    return None


def _env(project: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("HW1_REPORT_DIR", "HW1_CLAIMS_RUNS")}
    env["PYTHONPATH"] = str(project) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("HW1_DATA_DIR", str(REPO / "data"))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["COLUMNS"] = "240"  # the short summary keeps the failure messages
    return env


def run_bug(bug: Bug, all_tests: bool, keep: bool, timeout: int, exitfirst: bool = True, fast: bool = False,
            worktree: bool = False, baseline: bool = False, finished: Path | None = None,
            commit: str = "HEAD") -> tuple[str, str, float]:
    """(CAUGHT / SURVIVED / NOT PLANTED / TIMEOUT, details, seconds)."""
    start = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix=f"hw1-bug-{bug.name}-"))
    try:
        copy_project(folder, worktree, commit)
        problem = None if baseline else plant(bug, folder)
        if problem:
            return "NOT PLANTED", problem, time.perf_counter() - start
        env = _env(folder)
        where = subprocess.run([sys.executable, "-c", "import hw1; print(hw1.__file__)"], cwd=folder, env=env,
                               capture_output=True, text=True)
        if not where.stdout.strip().startswith(str(folder)):
            return "NOT PLANTED", f"the copy imports another hw1: {where.stdout.strip() or where.stderr[-500:]}", 0.0
        if fast and bug.parts and not all_tests:
            # The copy's own quick run of the parts these tests read; the tests read it through HW1_REPORT_DIR
            # (test_rederive.py, test_report_numbers.py) instead of running every part in the session fixture.
            report = folder / "report-bug"
            made = subprocess.run([sys.executable, "run_all.py", "--quick", "--device", "cpu", "--out", str(report),
                                   "--data-dir", env["HW1_DATA_DIR"], "--parts", *map(str, bug.parts)],
                                  cwd=folder, env=env, capture_output=True, text=True, timeout=timeout)
            if made.returncode != 0:
                # Not a verdict: a crash is no test catching the bug (and may be the checkout's own breakage).
                return "RUN FAILED", "(the planted copy's quick run failed)\n" + made.stderr[-1500:], \
                    time.perf_counter() - start
            env["HW1_REPORT_DIR"] = str(report)
            env["HW1_CLAIMS_RUNS"] = str(report)  # test_claims checks every sentence of the planted report too
        if finished is not None and bug.render and not all_tests:
            # A finished quick run of every part, re-rendered by the copy (--report-only): the PDF the bug changes.
            report = folder / "report-bug"
            shutil.copytree(finished, report, ignore=shutil.ignore_patterns("checkpoints"))
            made = subprocess.run([sys.executable, "run_all.py", "--quick", "--report-only", "--out", str(report),
                                   "--data-dir", env["HW1_DATA_DIR"]], cwd=folder, env=env, capture_output=True, text=True, timeout=timeout)
            if made.returncode != 0:
                return "RUN FAILED", "(re-rendering the finished run failed)\n" + made.stderr[-1500:], \
                    time.perf_counter() - start
            env["HW1_REPORT_DIR"] = str(report)
            env["HW1_CLAIMS_RUNS"] = str(report)
        tests = [] if all_tests or bug.tests == "all" else list(bug.tests)
        command = [sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider", "--tb=line",
                   *(["-x"] if exitfirst else []), *tests]
        try:
            done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return "TIMEOUT", f"no verdict within {timeout} s", time.perf_counter() - start
        output = done.stdout + done.stderr
        if done.returncode == 0:
            summary = output.strip().splitlines()[-1] if output.strip() else ""
            return "SURVIVED", summary, time.perf_counter() - start
        failed = [line for line in output.splitlines() if line.startswith(("FAILED", "ERROR"))]
        detail = "\n".join(failed[:6]) if failed else output[-2000:]
        # Under xdist, -x ends with "Interrupted: stopping after 1 failures" and exit status 2: still a failure.
        stopped_at_first = done.returncode == 2 and exitfirst and "stopping after" in output
        if (done.returncode != 1 and not stopped_at_first) or any(line.startswith("ERROR") for line in failed):
            # Collection errors, crashes in fixtures, a planted bug that does not even import: not a test
            # catching the bug (and perhaps the bug's edit itself is broken).
            return "BROKEN", f"(pytest exit {done.returncode})\n" + detail, time.perf_counter() - start
        return "CAUGHT", detail, time.perf_counter() - start
    finally:
        if keep:
            print(f"  kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run these bugs only")
    parser.add_argument("--all-tests", action="store_true", help="run the whole suite for every bug")
    parser.add_argument("--list", action="store_true", help="list the bugs and exit")
    parser.add_argument("--keep", action="store_true", help="keep each planted copy (its folder is printed)")
    parser.add_argument("--every-failure", action="store_true",
                        help="run every test of the bug instead of stopping at the first failure (pytest -x)")
    parser.add_argument("--fast", action="store_true",
                        help="for bugs in parts/: a quick run of only the parts they need, read by the tests through "
                             "HW1_REPORT_DIR, instead of the session's quick run of every part")
    parser.add_argument("--baseline", action="store_true",
                        help="run each bug's tests on the copy without planting it: they must all pass (SURVIVED)")
    parser.add_argument("--report", type=Path, default=None, metavar="DIR",
                        help="a finished quick run of every part (run_all.py --quick --out DIR): template and filter "
                             "bugs re-render it in the copy, read by the tests through HW1_REPORT_DIR")
    parser.add_argument("--tests", nargs="+", default=None, metavar="ARG",
                        help="run these pytest arguments for every bug instead of each bug's own tests")
    parser.add_argument("--commit", default="HEAD",
                        help="copy the product as of this commit (default HEAD); with --report, the commit that made "
                             "the finished run, or the re-render leaves its parts out as made by other code")
    parser.add_argument("--worktree", action="store_true",
                        help="copy the product from the working tree instead of git HEAD")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per bug (default 1800)")
    args = parser.parse_args(argv)
    bugs = BUGS
    if args.only:
        unknown = set(args.only) - {bug.name for bug in BUGS}
        if unknown:
            parser.error(f"no bug named {', '.join(sorted(unknown))}; see --list")
        bugs = [bug for bug in BUGS if bug.name in args.only]
    if args.tests:
        bugs = [dataclasses.replace(bug, tests=tuple(args.tests)) for bug in bugs]
    if args.list:
        for bug in bugs:
            tests = bug.tests if isinstance(bug.tests, str) else " ".join(bug.tests)
            print(f"{bug.name:32} {bug.file:42} {tests}\n{'':32} {bug.what}")
        return 0
    survived = 0
    for bug in bugs:
        print(f"{bug.name}: {bug.what} ...", flush=True)
        verdict, detail, seconds = run_bug(bug, args.all_tests, args.keep, args.timeout, not args.every_failure, args.fast,
                                           args.worktree, args.baseline, args.report,
                                           args.commit)
        print(f"  {verdict} ({seconds:.0f} s)")
        for line in detail.splitlines():
            print(f"    {line}")
        survived += verdict != ("SURVIVED" if args.baseline else "CAUGHT")
    if args.baseline:
        print(f"baseline: {len(bugs) - survived} of {len(bugs)} test runs pass unplanted"
              + ("" if not survived else " (a failure here means the harness or the tests are wrong, not a bug caught)"))
    else:
        print(f"{len(bugs) - survived} of {len(bugs)} caught")
    return survived


if __name__ == "__main__":
    sys.exit(main())
