"""The written answers' sentences, each number in its own place: a fragment of the PDF's text is built here from
results.json with the test's own formatting (tests/helpers.py) and must appear verbatim. A template that prints
a sibling field (the L2 value where the cross-entropy's belongs, the targeted attack's where the untargeted's
does), another network's number, or the wrong branch of a condition, fails here. benchmarks/template_mutants.py
finds the template spots no test reads; the fragments below were written for the ones it found.

Numbers inside formulas are typeset apart from the text around them; they are checked as the formula's source
(e.g. "\\log 2 = 0.693"), which the PDF carries in its text layer."""

from __future__ import annotations

import re

import pytest

from helpers import fixed, percent, report_folder, significant, thousands
from sentences import missing, report, span, table_row  # noqa: F401 (report: a fixture)

pytestmark = pytest.mark.slow  # reads the quick run of every part


def test_part1_answers_quote_each_surfaces_own_numbers(report):
    parts, text = report
    c, r = parts["part1"]["config"], parts["part1"]["result"]
    assert r["l2_grad_abs_max"] != r["ce_grad_abs_max"] and r["l2_vanishing_fraction"] != r["ce_vanishing_fraction"]
    fragments = [
        f"is largest in magnitude ({fixed(r['l2_grad_abs_max'], 3)}) at",
        f"and only {significant(r['l2_grad_at_corner'], 2)} at the corner",
        f"this gradient is still {fixed(r['ce_grad_at_corner'], 3)}.",
        f"(grid maximum {fixed(r['l2_max'], 4)})",
        f"(grid maximum {fixed(r['ce_max'], 2)}), and its minimum",
        (f"{percent(r['badly_wrong_fraction'], 0)} of the grid), {percent(r['l2_vanishing_fraction'], 0)} have"),
        f"against {percent(r['ce_vanishing_fraction'], 0)} for the cross-entropy",
        f"Its largest magnitude is only {fixed(r['l2_grad_abs_max'], 3)}.",
        f"it is largest ({fixed(r['ce_grad_abs_max'], 3)}) exactly where",
        f"|z| \\approx {fixed(r['l2_grad_abs_max_at_z'], 1)}",
        f"w = b = {fixed(c['half_range'], 0)}",
    ]
    assert missing(text, fragments) == []
    # "log 2 = 0.693" is printed twice, by 1.6 (the cross-entropy's minimum) and 2.3 (the best affine model's loss):
    # each formula's source must be there as often as the two values give it.
    printed = [fixed(r["ce_min"], 3), fixed(parts["part2"]["result"]["best_linear_loss"], 3)]
    for value in set(printed):
        found = len(re.findall(re.escape(f"\\log 2 = {value}") + r"(?!\d)", text))
        assert found >= printed.count(value), (value, found)


def test_part2_answers_quote_the_reported_network_and_the_stuck_seeds(report):
    parts, text = report
    c, r = parts["part2"]["config"], parts["part2"]["result"]
    seeds, tanh = r["robustness_seeds"], sum(r["robustness_tanh_solved"])
    loss, steps = r["snapshot_loss"], r["snapshot_steps"]
    fragments = [
        f"with learning rate {fixed(r['learning_rate'], 1)} for {thousands(r['steps'])} steps",
        f"At step {steps[0]} the loss is {fixed(loss[0], 3)}, near the",
        f"\\log 2 = {fixed(r['best_linear_loss'], 3)}",
        (f"The loss falls from {significant(loss[0], 2)} at step {steps[0]} to {significant(loss[-1], 2)} at step "
         f"{thousands(steps[-1])}."),
        (f"Across the {len(seeds)} random initialisations of the study (seeds {seeds[0]} to {seeds[-1]}), {tanh} solve "
         f"XOR with this budget ({percent(tanh / len(seeds), 0)})"),
        (f"without activation ends at loss {fixed(r['identity_final_loss'], 4)} with outputs "
         f"{', '.join(fixed(o, 3) for o in r['identity_final_outputs'])} on the four inputs; "
         f"{sum(r['robustness_identity_solved'])} of {len(seeds)} seeds solve XOR (against {tanh} with tanh)"),
    ]
    if r["solved"]:
        fragments.append(f"The reported network is confidently right on all four points (outputs above "
                         f"{fixed(c['confident'], 1)} for label 1 and below {fixed(1 - c['confident'], 1)} for label 0")
        assert "No seed tried solved XOR" not in text
    else:
        fragments.append("No seed tried solved XOR")
    classified = [step for step, ok in zip(steps, r["snapshot_classified"]) if ok]
    if r["snapshot_separable"][0] and not r["snapshot_classified"][0] and classified:
        fragments.append(f"but the output layer’s line is not yet in such a position (the output first has all four "
                         f"points on the correct side of 0.5 at step {thousands(classified[0])})")
    elif r["snapshot_separable"][0]:
        fragments.append("and the output layer’s line is already one of them")
    if r["seeds_tried"] == 1:
        fragments.append(f"those of seed {r['reported_seed']}, which solves XOR.")
    else:
        first, reported = seeds[0], r["reported_seed"]
        fragments.append(f"The first seed we tried, {first}, does not solve XOR within the budget")
        if reported - first == 2:
            fragments.append(f"(nor does seed {reported - 1})")
        elif reported - first > 2:
            fragments.append(f"(nor do seeds {first + 1} to {reported - 1})")
        fragments.append(f"those of seed {reported}, the first seed from {first} on that solves it "
                         f"({r['seeds_tried']} seeds tried)")
    s = r["stuck"]
    if s:
        last = lambda key: [seed[key][-1] for seed in s]  # noqa: E731
        eigen = [seed["hessian_min_eigenvalue"] for seed in s]
        largest = [seed["hessian_max_eigenvalue"] for seed in s]
        fragments += [
            (f"After {thousands(r['steps'])} steps the {len(s)} failing seeds have loss "
             f"{span(fixed(min(last('loss')), 5), fixed(max(last('loss')), 5))}"),
            f"\\frac{{1}}{{2}}\\log 2 = {fixed(r['best_linear_loss'] / 2, 5)}",
            f"(the outputs of seed {s[0]['seed']}: {', '.join(fixed(o, 3) for o in s[0]['outputs'])})",
            (f"Their gradient norms are {span(significant(min(last('grad_norm')), 2), significant(max(last('grad_norm')), 2))}"
             f" (as rounded in the table)"),
            f"the weight norms ({span(fixed(min(last('weight_norm')), 1), fixed(max(last('weight_norm')), 1))})",
            (f"saturated ( ) is {span(percent(min(last('saturation')), 0), percent(max(last('saturation')), 0))}. "
             f"The Hessian’s smallest eigenvalue is {span(significant(min(eigen), 2), significant(max(eigen), 2))}"),
            f"against largest eigenvalues {span(fixed(min(largest), 3), fixed(max(largest), 3))}: the runs",
            f"of {len(s) * c['nudges']} copies nudged by",
            f"continued as long, {sum(x['nudges_solved'] for x in s)} solve XOR.",
        ]
    assert missing(text, fragments) == []


def test_part3_answers_quote_the_training_run(report):
    parts, text = report
    c, r = parts["part3"]["config"], parts["part3"]["result"]
    h = r["history"]
    accuracy, epochs = h["test_accuracy"], h["eval_epoch"]
    fragments = [
        f"The {thousands(r['redundant_bias_parameters'])} biases of the layers that feed a BatchNorm are redundant",
        f"{thousands(r['total_parameters'])} parameters in the {len(r['architecture'])} rows of",
        (f"batches of {c['batch_size']} images for {c['epochs']} epoch{'s' if c['epochs'] != 1 else ''} "
         f"({thousands(h['iterations_per_epoch'])} iterations per epoch, {thousands(r['train_images'])} training images"),
        f"to {significant(c['max_lr'], 2)} over the first {percent(c['warmup_fraction'], 0)} of the steps",
        (f"The test set was evaluated {len(accuracy)} time{'s' if len(accuracy) != 1 else ''} "
         f"({c['evals_per_epoch']} per epoch,"),
        f"At the first evaluation, after {fixed(epochs[0], 2)} epochs, test accuracy was {percent(accuracy[0], 1)} against",
    ]
    if h["epochs_to_99"] is None:
        fragments.append("No evaluation during training reached 99%.")
    else:
        fragments.append(f"first reached 99% at the evaluation after {fixed(h['epochs_to_99'], 2)} epochs.")
    if len(accuracy) > 1:  # the largest gain between two evaluations, and where the schedule then is
        k = max(range(1, len(accuracy)), key=lambda i: accuracy[i] - accuracy[i - 1])
        peak = c["epochs"] * c["warmup_fraction"]
        phase = ("is still warming up" if epochs[k] <= peak else "is being annealed" if epochs[k - 1] >= peak
                 else "passes its peak")
        fragments += [f"The largest gain between two evaluations is from epoch {fixed(epochs[k - 1], 2)} to "
                      f"{fixed(epochs[k], 2)} ({percent(accuracy[k - 1], 1)} to {percent(accuracy[k], 1)})",
                      f"when the learning rate {phase} (it peaks at epoch {fixed(peak, 2)})."]
    test_loss, train_loss = h["test_loss"][-1], h["epoch_train_loss"][-1]
    if 2 * test_loss < train_loss:  # more than a factor of 2 apart counts; within it, "of the same size"
        fragments.append(f"At the end the test loss ({fixed(test_loss, 4)}) is below the mean training loss of the "
                         f"last epoch ({fixed(train_loss, 4)})")
    elif test_loss > 2 * train_loss:
        fragments.append(f"The test loss ({fixed(test_loss, 4)}) ends more than twice the mean training loss of the "
                         f"last epoch ({fixed(train_loss, 4)})")
    else:
        fragments.append(f"the mean training loss of the last epoch ({fixed(train_loss, 4)}) and the test loss "
                         f"({fixed(test_loss, 4)}) are of the same size")
    assert missing(text, fragments) == []


def test_part1_captions_quote_the_surfaces_extremes(report):
    parts, text = report
    c, r = parts["part1"]["config"], parts["part1"]["result"]
    fragments = [
        f"(range on this grid: {significant(r['output_min'], 3)} to {significant(r['output_max'], 3)})",
        f"flattens out at its ceiling (largest value on the grid: {fixed(r['l2_max'], 4)})",
        f"It peaks at with magnitude {fixed(r['l2_grad_abs_max'], 3)}",
        f"({significant(r['l2_grad_at_corner'], 2)} at )",
        f"approaching (largest value on the grid: {fixed(r['ce_max'], 2)})",
        f"(largest magnitude on the grid: {fixed(r['ce_grad_abs_max'], 3)})",
        f"agree with the analytic formulas to {significant(r['autograd_max_abs_error'], 2)}",
        f"the same {c['grid_points']} × {c['grid_points']} grid",
        f"\\log 2 \\approx {fixed(r['ce_min'], 3)}",
    ]
    assert missing(text, fragments) == []


def test_part2_tables_show_each_networks_outputs_and_each_stuck_seeds_row(report):
    parts, text = report
    c, r = parts["part2"]["config"], parts["part2"]["result"]
    fragments = []
    for k, (x1, x2) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):  # Table 2: input, XOR label, tanh, no activation
        fragments.append(table_row([f"({x1}, {x2})", str(x1 ^ x2), fixed(r["final_outputs"][k], 4),
                               fixed(r["identity_final_outputs"][k], 4)]))
    fragments.append(table_row(["Mean cross-entropy", significant(r["final_loss"], 3), fixed(r["identity_final_loss"], 4)]))
    fragments += [
        (f"at {len(r['snapshot_steps'])} moments of training (log-spaced steps), for the reported network (seed "
         f"{r['reported_seed']})"),
        f"Seeds (of {len(r['robustness_seeds'])}, the same for every cell) for which the tanh network solves XOR within "
        f"{thousands(r['steps'])} steps",
        f"the reported seed in blue with its snapshots marked, the other {len(r['robustness_seeds']) - 1} seeds in grey",
        f"on the correct side of 0.5 by more than {fixed(c['confident'] - 0.5, 1)}; red: not solved)",
    ]
    if r["stuck"]:
        fragments += [f"The tanh seeds that did not solve XOR within {thousands(r['steps'])} steps",
                      f"after {thousands(c['escape_steps'])} more steps, and how many of {c['nudges']} randomly nudged"]
    for seed in r["stuck"]:  # Table 3
        fragments.append(table_row([str(seed["seed"]), fixed(seed["loss"][-1], 5), significant(seed["grad_norm"][-1], 2),
                               fixed(seed["weight_norm"][-1], 1), percent(seed["saturation"][-1], 0),
                               significant(seed["hessian_min_eigenvalue"], 2), fixed(seed["hessian_max_eigenvalue"], 3),
                               fixed(seed["longer_loss"], 5), significant(seed["longer_grad_norm"], 2),
                               f"{seed['nudges_solved']} of {c['nudges']}"]))
    # Table 1, the scan, whole: the header, then a row per initial scale, a column per learning rate (seeds solved).
    rates = sorted({cell["learning_rate"] for cell in r["scan"]})
    scan = [" ".join(f"rate {rate}" for rate in rates)]
    for std in sorted({cell["init_std"] for cell in r["scan"]}):
        solved = {cell["learning_rate"]: cell for cell in r["scan"] if cell["init_std"] == std}
        scan.append(table_row([str(std)] + [str(solved[rate]["solved"]) for rate in rates]))
    assert re.search(re.escape(" ".join(scan)) + r"(?! \d)", text), scan  # and no further cell after the last
    assert missing(text, fragments) == []


def test_part3_architecture_table_rows(report):
    parts, text = report
    r = parts["part3"]["result"]
    for k, row in enumerate(r["architecture"], 1):
        shape = " × ".join(str(n) for n in row["output_shape"])
        assert f"{row['type']}-{k} " in text and f"{shape} {thousands(row['parameters'])}" in text, row
    assert f"Total trainable parameters {thousands(r['total_parameters'])}" in text


def test_part2_story_details_read_from_the_saved_hidden_plane(report):
    """2.3's story: tanh's slope at the largest start, where the hidden images end (corners or quadrants), the
    band of the decision region, each computed here from the saved snapshots and regions."""
    parts, text = report
    r = parts["part2"]["result"]
    steps = r["snapshot_steps"]
    h0 = max(abs(value) for point in r["snapshot_hidden"][0] for value in point)
    fragments = [f"at step {thousands(steps[-1])} the images"]
    if h0 > 0.55:  # tanh's curved range (margin 0.05 around 0.5): the slope there
        fragments.append(f"the largest at step {steps[0]} is {fixed(h0, 2)}, where tanh’s slope is "
                         f"{fixed(1 - h0 * h0, 2)} of its slope at 0")
    gap = max(1 - abs(value) for point in r["snapshot_hidden"][-1] for value in point)
    if abs(gap - 0.1) > 1e-6:
        fragments.append("the images sit at the corners of" if gap < 0.1 else "the images lie in these quadrants")
    band = r["final_regions"]["band_label"]
    if band is not None:
        members = ["(0,0) and (1,1)", "(0,1) and (1,0)"]  # the inputs of label 0, of label 1
        fragments.append(f"a band of label {band} ({'orange' if band == 1 else 'blue'} in Figure")
        fragments.append(f"contains {members[band]}, while {members[1 - band]} (label {1 - band}) lie in two separate regions")
    assert missing(text, fragments) == []


# Each figure of the report: (its id, the image file it must show, the words its caption starts with).
FIGURES = [
    ("fig-p1-output", "part1_output.png", "Sigmoid output"),
    ("fig-p1-l2", "part1_l2_loss.png", "L2 loss for target"),
    ("fig-p1-l2-grad", "part1_l2_grad_w.png", "by autograd"),
    ("fig-p1-ce", "part1_ce_loss.png", "Cross-entropy loss for"),
    ("fig-p1-ce-grad", "part1_ce_grad_w.png", "by autograd"),
    ("fig-p1-slice", "part1_grad_slice.png", "Both gradients along the slice"),
    ("fig-p2-hidden", "part2_hidden_plane.png", "The four inputs mapped into the hidden plane"),
    ("fig-p2-input", "part2_input_plane.png", ""),
    ("fig-p2-loss", "part2_loss.png", ""),
    ("fig-p3-curves", "part3_curves.png", ""),
    ("fig-p3-confusion", "part3_confusion.png", "Confusion matrix on the test set"),
    ("fig-p3-misclassified", "part3_misclassified.png", "The most confidently misclassified test digits"),
    ("fig-p4-distributions", "part4_distributions.png", "Distributions over all successful attacks"),
    ("fig-p4-untargeted", "part4_untargeted_examples.png", "Two untargeted examples"),
    ("fig-p4-targeted", "part4_targeted_examples.png", "Two targeted examples"),
    ("fig-p4-grid", "part4_target_grid.png", "Targeted adversarial images for every"),
    ("fig-p5-confidence", "part5_confidence.png", "Left: transfer to the retrained network"),
    ("fig-p5-robust", "part5_robust.png", "Robust accuracy against the budget"),
    ("fig-p5-universal", "part5_universal.png", "Top: the universal perturbation"),
]


def test_each_figure_shows_its_own_image_under_its_own_caption(request):
    """A caption over another figure's image (the cross-entropy's caption over the L2 surface) reads true in the
    text and false on the page: the HTML names, for each figure id, the image it embeds and its caption."""
    html = (report_folder(request) / "hw1.html").read_text()
    shown = dict(re.findall(r'<figure id="([\w-]+)"><img src="figures/([\w.]+)"', html))
    assert set(shown) == {figure for figure, _, _ in FIGURES}, set(shown) ^ {figure for figure, _, _ in FIGURES}
    for figure, image, caption in FIGURES:
        assert shown[figure] == image, (figure, shown[figure])
        start = html.index(f'<figure id="{figure}">')
        words = " ".join(re.sub(r"<[^>]+>", " ", html[start:html.index("</figcaption>", start)]).split())
        assert caption in words, (figure, words[:120])
