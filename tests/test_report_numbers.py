"""The numbers a reader sees in the PDF are the numbers in results.json, each bound to the right field:
a template that swaps untargeted and targeted, or the original and retrained network, fails here.

The expectations are formatted by the test's own code (tests/helpers.py: fixed, percent, thousands:
exact decimal rounding, half to even), never by the product's filters: a filter that rounds the wrong way
would print the same wrong text on both sides and cancel out. The values in results.json are in turn
re-derived from the saved artifacts in test_rederive.py, test_part4_independent.py and test_part5*.py."""

import json
import re

import pytest

from helpers import fixed, joined_hyphens, pdf_text, percent, report_folder, thousands

pytestmark = pytest.mark.slow  # reads the quick run of every part


@pytest.fixture(scope="module")
def report(request):
    """(results.json's parts, the PDF's text with whitespace collapsed): of the session's quick run, or of the
    finished report in $HW1_REPORT_DIR (e.g. report/, to check the real hand-in)."""
    out = report_folder(request)
    return json.loads((out / "results.json").read_text())["parts"], pdf_text(out / "hw1.pdf")


def _summary(text: str) -> str:
    """The front page's "Results at a glance" table: the text from its heading to its total time (or, without
    that row, the next 2,000 characters)."""
    start = text.index("Results at a glance")
    end = text.find("Total computation time", start)
    return text[start:end + 200 if end >= 0 else start + 2000]


def test_headline_numbers_in_the_pdf_equal_the_saved_results(report):
    parts, text = report
    r2, r3, r4 = (parts[name]["result"] for name in ("part2", "part3", "part4"))
    u, t = r4["untargeted"], r4["targeted"]

    outputs = ", ".join(fixed(o, 4) for o in r2["final_outputs"])
    assert f"(tanh network) {outputs}" in text
    assert f"CNN test accuracy (requirement 99%) {percent(r3['test_accuracy'], 2)}" in text
    assert f"untargeted / targeted {percent(u['success_rate'], 1)} / {percent(t['success_rate'], 1)}" in text
    assert (f"hits the target (targeted) {percent(u['retrained_misclassified'], 1)} / "
            f"{percent(t['retrained_hit_target'], 1)}") in text

    # Part 4's statistics table: untargeted column first, then targeted.
    steps = (f"Steps: median / mean / 90th percentile / max {fixed(u['steps']['median'], 0)} / "
             f"{fixed(u['steps']['mean'], 1)} / {fixed(u['steps']['p90'], 0)} / {fixed(u['steps']['max'], 0)} "
             f"{fixed(t['steps']['median'], 0)} /")
    assert steps in text
    # The two networks' clean accuracies are where the report names them.
    assert percent(r4["original_test_accuracy"], 2) in text and percent(r4["retrained_test_accuracy"], 2) in text


def test_every_row_of_the_front_page_summary_shows_its_saved_value(report):
    """Each row of "Results at a glance", its label and its value(s), in order; formatted here."""
    parts, text = report
    summary = _summary(text)
    r1, r2, r3, r4 = (parts[f"part{n}"]["result"] for n in (1, 2, 3, 4))

    rows = [
        f"L2 vs cross-entropy {fixed(r1['l2_grad_abs_max'], 3)} vs {fixed(r1['ce_grad_abs_max'], 3)}",
        f"(tanh network) {', '.join(fixed(o, 4) for o in r2['final_outputs'])}",
        (f"Seeds solving XOR: tanh / no activation {sum(r2['robustness_tanh_solved'])} / "
         f"{sum(r2['robustness_identity_solved'])} of {len(r2['robustness_seeds'])}"),
        f"CNN test accuracy (requirement 99%) {percent(r3['test_accuracy'], 2)}",
        (f"Attack success on {thousands(r4['images'])} test images: untargeted / targeted "
         f"{percent(r4['untargeted']['success_rate'], 1)} / {percent(r4['targeted']['success_rate'], 1)}"),
        (f"hits the target (targeted) {percent(r4['untargeted']['retrained_misclassified'], 1)} / "
         f"{percent(r4['targeted']['retrained_hit_target'], 1)}"),
    ]
    if "part5" in parts and "(extra)" in summary:  # Part 5 may be left out of the PDF (--leave-out)
        r5 = parts["part5"]["result"]
        untargeted = [row for row in r5["confidence"] if row["attack"] == "untargeted"]
        rows.append(f"stopped at {untargeted[0]['threshold']} / {untargeted[-1]['threshold']} confidence "
                    f"{percent(untargeted[0]['transfer_misclassified'], 1)} / "
                    f"{percent(untargeted[-1]['transfer_misclassified'], 1)}")
        budget = r5["robust_settings"]["headline"]
        robust = {row["network"]: row["robust"][row["budgets"].index(budget)] for row in r5["robustness"]}
        rows.append(f"{percent(robust['original'], 1)} / {percent(robust['adversarially trained'], 1)}")
        universal = r5["universal_headline"]
        (random_rate,) = [row["random_fooling_rate"] for row in r5["universal"] if row["budget"] == universal["budget"]]
        rows.append(f"random control {percent(universal['fooling_rate'], 1)} / {percent(random_rate, 1)}")
    position = 0
    for row in rows:
        found = summary.find(row, position)
        assert found >= 0, f"{row!r} not in the summary table (after {summary[position:position + 80]!r}): {summary!r}"
        position = found + len(row)
    # Computation time is the run record's, not the hand-in's (issue 26).
    assert "computation time" not in text.lower()


def test_the_run_record_states_the_total_computation_time(request):
    out = report_folder(request)
    parts = json.loads((out / "results.json").read_text())["parts"]
    total = sum(part["seconds"] for part in parts.values())
    record = (out / "run-record.html").read_text()
    assert f"Total computation time: {fixed(total, 1)} s" in record


def test_part3_numbers_in_the_pdf_equal_the_saved_results(report):
    """Part 3's result sentence and per-digit table: errors, test images, loss, per-digit accuracy."""
    parts, text = report
    r3 = parts["part3"]["result"]
    assert (f"({thousands(r3['misclassified'])} errors on {thousands(r3['test_images'])} test images; "
            f"test loss {fixed(r3['test_loss'], 4)})") in text
    counts = " ".join(thousands(n) for n in r3["per_class_count"])
    assert f"Test images {counts} {thousands(r3['test_images'])}" in text
    accuracies = " ".join(percent(a, 1) for a in r3["per_class_accuracy"])
    assert f"Accuracy {accuracies} {percent(r3['test_accuracy'], 2)}" in text


def test_part4_statistics_table_shows_each_attacks_saved_values_in_its_column(report):
    """Every row of Part 4's statistics table, untargeted column then targeted, formatted here (the L-inf and L2
    rows' labels are formulas, which the text layer leaves out: "of : median (mean)")."""
    parts, text = report
    r4 = parts["part4"]["result"]
    confidence = parts["part4"]["config"]["confidence"]

    def cells(a: dict) -> dict[str, str]:
        pair = lambda stat, digits: f"{fixed(a[stat]['median'], digits)} ({fixed(a[stat]['mean'], digits)})"  # noqa: E731
        return {"success": f"{percent(a['success_rate'], 1)} ({thousands(a['succeeded'])})",
                "failed": thousands(a["failed"]),
                "steps": " / ".join((fixed(a["steps"]["median"], 0), fixed(a["steps"]["mean"], 1),
                                     fixed(a["steps"]["p90"], 0), fixed(a["steps"]["max"], 0))),
                "linf": pair("linf", 2), "l2": pair("l2", 2), "pixels": pair("changed_pixels", 0),
                "confidence": f"{percent(a['final_confidence']['median'], 1)} ({percent(a['final_confidence']['mean'], 1)})"}

    u, t = cells(r4["untargeted"]), cells(r4["targeted"])
    table = (f"Success rate (probability ≥ {fixed(confidence, 2)} within {parts['part4']['config']['max_steps']} steps) "
             f"{u['success']} {t['success']} Failures (step limit reached) {u['failed']} {t['failed']} "
             f"Steps: median / mean / 90th percentile / max {u['steps']} {t['steps']} "
             f"of : median (mean) {u['linf']} {t['linf']} of : median (mean) {u['l2']} {t['l2']} "
             f"Pixels changed: median (mean) {u['pixels']} {t['pixels']} "
             f"Final confidence: median (mean) {u['confidence']} {t['confidence']}")
    assert table in text, text[text.find("Success rate (probability"):][:600]


def test_part4_targeted_work_sentence_names_targeted_first(report):
    """4.2 compares the two attacks' work in one sentence, targeted first then untargeted ("a median of 61 steps
    against 44", or in the other branch "(median 61 steps and ..., against 44 and ..."): swapped medians would say
    the opposite of the numbers."""
    parts, text = report
    u, t = parts["part4"]["result"]["untargeted"], parts["part4"]["result"]["targeted"]
    assert u["steps"]["median"] != t["steps"]["median"], "equal medians cannot show a swap"
    found = (re.findall(r"a median of (\S+) steps against (\S+?),", text)
             or re.findall(r"\(median (\S+) steps and .{1,60}? against (\S+) and", text))
    assert found == [(fixed(t["steps"]["median"], 0), fixed(u["steps"]["median"], 0))], found


def test_the_quick_run_can_tell_the_swaps_apart(report):
    """The tests above only catch a swap if the swapped numbers differ; make sure they do."""
    parts, _ = report
    r2, r4 = parts["part2"]["result"], parts["part4"]["result"]
    u, t = r4["untargeted"], r4["targeted"]
    assert u["steps"]["median"] != t["steps"]["median"] or u["steps"]["mean"] != t["steps"]["mean"]
    assert u["retrained_misclassified"] != t["retrained_hit_target"]
    assert sum(r2["robustness_tanh_solved"]) != sum(r2["robustness_identity_solved"])


def test_part5_transfer_table_reads_made_on_rows_and_fed_to_columns(report):
    """Table "Transfer": row = the network the images were made on, column = the network fed them, as results.json
    records transfer[source][target]; a transposed table (or accessor) fails, since the matrix is not symmetric."""
    parts, text = report
    if "part5" not in parts:
        pytest.skip("Part 5 was not run")
    r5 = parts["part5"]["result"]
    names, matrix = r5["networks"], r5["transfer"]
    cell = [["–" if value is None else percent(value, 1) for value in row] for row in matrix]  # None: nothing to transfer
    asymmetric = [(i, j) for i in range(len(names)) for j in range(len(names)) if cell[i][j] != cell[j][i]]
    assert asymmetric, "the run cannot tell a transposed table apart: every pair transfers alike"
    # a row whose network name wraps in its cell ("single-step (Goodfellow-style)") is not one line of text
    rows = [f"{name} " + " ".join(cell[i]) for i, name in enumerate(names)]
    found = [i for i, row in enumerate(rows) if row in text]
    assert len(found) >= len(names) - 1, f"rows not in the PDF: {[rows[i] for i in set(range(len(rows))) - set(found)]}"
    assert any(i in found or j in found for i, j in asymmetric)


def test_derived_shares_in_the_text_are_computed_from_the_saved_numbers(report):
    """Numbers a template derives by arithmetic (not a field printed as it is): 4.1's median largest change as a
    share of the input range [-1, 1] (which spans 2), in every sentence that gives it, and 5.1's growth of the
    untargeted median L2 from the lowest to the highest stopping confidence, "(19% more)". Computed here."""
    parts, text = report
    u = parts["part4"]["result"]["untargeted"]
    shares = re.findall(r"(\d+(?:\.\d+)?%) of the input range(?! per step)", text)
    assert shares and set(shares) == {percent(u["linf"]["median"] / 2, 0)}, shares
    if "part5" in parts and "Beyond the Assignment" in text:
        rows = [row for row in parts["part5"]["result"]["confidence"] if row["attack"] == "untargeted"]
        first, last = rows[0]["median_l2"], rows[-1]["median_l2"]
        assert f"from {fixed(first, 2)} to {fixed(last, 2)} ({percent(last / first - 1, 0)} more)" in text


def test_figures_and_tables_are_numbered_each_in_their_own_sequence(report):
    """Figures 1, 2, 3, ... and Tables 1, 2, 3, ... each count on their own, as LaTeX numbers them: every number a
    caption or a reference gives is in 1..N with none skipped (one shared counter would skip the other kind's)."""
    _, text = report
    for kind in ("Figure", "Table"):
        numbers = {int(n) for n in re.findall(rf"\b{kind} (\d+)\b", text)}
        assert numbers == set(range(1, max(numbers) + 1)), f"{kind} numbers: {sorted(numbers)}"


def test_each_reference_names_the_kind_and_number_of_what_it_links_to(request):
    """"see Figure 3" links to a figure whose caption says "Figure 3.", "Table 2" to a table captioned "Table 2.":
    every ref() of the answers, read in hw1.html (a reference that names the wrong kind would still count in
    each sequence above, so that test cannot see it)."""
    html = (report_folder(request) / "hw1.html").read_text()
    references = re.findall(r'<a href="#([^"]+)">(Figure|Table) (\d+)</a>', html)
    assert len(references) >= 10 and {kind for _, kind, _ in references} == {"Figure", "Table"}
    for ident, kind, number in references:
        target = re.search(rf'<(figure|caption) id="{re.escape(ident)}">(?:<img[^>]*>)?(?:<figcaption>)?<b>([^<]*)</b>',
                           html)
        assert target, f"reference to #{ident}: no figure or table caption with that id"
        element, caption = target.groups()
        assert (element == "figure") == (kind == "Figure"), f"'{kind} {number}' links to a {element} ({caption})"
        assert caption == f"{kind} {number}.", f"'{kind} {number}' links to the one captioned '{caption}'"


def test_the_learning_rate_schedule_is_stated_as_the_optimizer_ran_it(report):
    """3.2's "it rises from A to B": A and B are the first and the largest learning rate of the run's one-cycle
    schedule, read here from a PyTorch OneCycleLR built with the saved settings (not from the template's
    arithmetic), printed with two significant digits (a power of ten below 0.001, as the report prints it)."""
    import torch

    parts, text = report
    c, h = parts["part3"]["config"], parts["part3"]["result"]["history"]
    optimizer = torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=c["max_lr"])
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=c["max_lr"], pct_start=c["warmup_fraction"],
                                                   total_steps=c["epochs"] * h["iterations_per_epoch"])
    rates = []
    for _ in range(c["epochs"] * h["iterations_per_epoch"]):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()

    def two_digits(value: float) -> str:
        if value >= 1e-3:
            return f"{value:.2g}"
        mantissa, exponent = f"{value:.1e}".split("e")
        return f"{mantissa}\u00d710\u2212{abs(int(exponent))}"

    expected = f"it rises from {two_digits(rates[0])} to {two_digits(max(rates))}"
    assert expected in text, (expected, re.findall(r"it rises from .{0,30}", text))


def test_part2_outputs_table_counts_each_networks_outputs_near_their_labels(report):
    """The outputs table's last row, counted here from the saved outputs: |output - XOR label| <= 0.01."""
    parts, text = report
    r2 = parts["part2"]["result"]
    labels = (0, 1, 1, 0)  # (0,0), (0,1), (1,0), (1,1)
    near = [sum(abs(output - label) <= 0.01 for output, label in zip(r2[key], labels))
            for key in ("final_outputs", "identity_final_outputs")]
    assert f"Outputs within 0.01 of their label {near[0]} of 4 {near[1]} of 4" in text


def test_part3_caption_names_what_lies_below_the_accuracy_axis(report):
    """The curves' caption: the training batches (counted from 1) and test evaluations under the 90% axis, found
    here in the saved curves (a value on the floor in float32, 0.89999998, is not below it)."""
    parts, text = report
    history = parts["part3"]["result"]["history"]
    below = [k for k, a in enumerate(history["iteration_accuracy"], start=1) if a < 0.9 - 1e-6]
    named = []
    if len(below) == 1:
        named.append(f"1 training batch, at iteration {thousands(below[0])}")
    elif below:
        named.append(f"{thousands(len(below))} training batches, all in the first {thousands(below[-1])} of "
                     f"{thousands(len(history['iteration_accuracy']))} iterations")
    named += [f"the evaluation on the test set at epoch {fixed(epoch, 2)}, marked on the axis with its "
              f"{percent(accuracy, 1)}"
              for epoch, accuracy in zip(history["eval_epoch"], history["test_accuracy"]) if accuracy < 0.9 - 1e-6]
    if not named:
        assert "no accuracy falls below the axis’s 90%" in text
    elif len(named) == 1:
        assert f"accuracy below 90% is off the scale ({named[0]})" in text
    else:
        assert f"accuracy below 90% is off the scale ({'; '.join(named[:-1])}; and {named[-1]})" in text


def test_part3_most_frequent_errors_are_the_top_pairs_of_the_confusion_matrix(report):
    """3.2's "The most frequent errors are a read as b (n), ...: together N of the M errors", checked against the
    saved confusion matrix: each named count is that cell; the pairs named (one by one or as "k pairs tied at c
    each") are the most frequent ones, at least three of them, a tie never cut; N is their sum and M every error."""
    parts, text = report
    r3 = parts["part3"]["result"]
    confusion = r3["confusion"]
    off_diagonal = sorted((confusion[t][p] for t in range(10) for p in range(10) if t != p and confusion[t][p]),
                          reverse=True)
    assert sum(off_diagonal) == r3["misclassified"]
    if not off_diagonal:
        assert "The network makes no error on the test set." in text
        return
    joined = joined_hyphens(text)
    sentence = re.search(r"The most frequent errors \(Figure \d+\) are (.*?): together ([\d,]+) of the ([\d,]+) "
                         r"errors\.", joined)
    assert sentence, "3.2's most-frequent-errors sentence"
    named_text, together, total = sentence.groups()
    named = [(int(a), int(b), int(n)) for a, b, n in re.findall(r"(\d) read as (\d) \((\d+)\)", named_text)]
    for true, predicted, n in named:
        assert confusion[true][predicted] == n, (true, predicted, n)
    tied = re.search(r"(\d+) pairs tied at (\d+) each", named_text)
    tied_pairs, tied_count = (int(tied[1]), int(tied[2])) if tied else (0, 0)
    shown = len(named) + tied_pairs
    assert sorted([n for _, _, n in named] + [tied_count] * tied_pairs, reverse=True) == off_diagonal[:shown]
    assert shown >= min(3, len(off_diagonal)), "fewer than three pairs named"
    assert shown == len(off_diagonal) or off_diagonal[shown] < off_diagonal[shown - 1], "a tie cut in two"
    assert int(together.replace(",", "")) == sum(off_diagonal[:shown])
    assert int(total.replace(",", "")) == r3["misclassified"]


def test_part2_longer_run_and_nudges_of_the_stuck_seeds_read_from_the_saved_runs(report):
    """2.2's "Running N more steps (K times the budget in all) frees ...; of M copies nudged ... and continued as
    long, J solve XOR": K counts the first budget too ((steps + escape_steps) / steps), the rest from the stuck seeds."""
    parts, text = report
    r2, c2 = parts["part2"]["result"], parts["part2"]["config"]
    stuck = r2["stuck"]
    if not stuck:
        assert "more steps (" not in text
        return
    joined = joined_hyphens(text)
    steps, escape = c2["steps"], c2["escape_steps"]
    escaped = sum(seed["longer_solved"] for seed in stuck)
    assert (f"Running {thousands(escape)} more steps ({fixed((steps + escape) / steps, 0)} times the budget in all) "
            + (f"frees {escaped} of them" if escaped else "frees none of them")) in joined
    assert f"of {len(stuck) * c2['nudges']} copies nudged by" in joined
    assert f"and continued as long, {sum(seed['nudges_solved'] for seed in stuck)} solve XOR" in joined


def test_part4_worked_examples_table_rows_read_from_the_saved_examples(report):
    """4.3's worked-examples table, row by row from results.json: true digit, target, each network's prediction and
    confidence, and the dagger on exactly the examples whose adversarial images the fine-tuned network trained on."""
    parts, text = report
    r4 = parts["part4"]["result"]
    finetuned = bool(r4.get("retraining"))
    for kind in ("untargeted", "targeted"):
        for number, e in enumerate(r4[f"{kind}_examples"], start=1):
            cells = [f"{kind} {number}", str(e["label"]), str(e["target"]) if e["target"] >= 0 else "—",
                     f"{e['label']} ({percent(e['probabilities_before'][e['label']], 1)})",
                     f"{e['prediction_after']} ({percent(e['confidence_after'], 1)})",
                     f"{e['retrained_original_prediction']} ({percent(e['retrained_original_confidence'], 1)})",
                     f"{e['retrained_prediction']} ({percent(e['retrained_confidence'], 1)})"]
            if finetuned:  # the dagger's thin space reads as one space
                dagger = "" if e["held_back"] else " †"
                cells += [str(e["control_prediction"]), str(e["finetuned_prediction"]) + dagger]
            row = " ".join(cells)
            following = text[text.index(row) + len(row):][:3] if row in text else ""
            assert row in text and not following.lstrip().startswith("†"), (row, following)


def test_part5_the_single_step_network_is_credited_with_its_own_clean_accuracy(report):
    """5.2's historical defence: "(1 epoch on N training images; clean accuracy X). Its adversarial training images"
    gives the single-step (Goodfellow-style) network's saved clean accuracy, not the defended network's."""
    parts, text = report
    if "part5" not in parts:
        pytest.skip("no Part 5 in this report")
    r5, c5 = parts["part5"]["result"], parts["part5"]["config"]
    joined = joined_hyphens(text)
    assert (f"({c5['training_epochs']} epoch on {thousands(c5['training_subset'])} training images; clean accuracy "
            f"{percent(r5['goodfellow_test_accuracy'], 2)}). Its adversarial training images") in joined
