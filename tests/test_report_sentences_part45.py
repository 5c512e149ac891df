"""Parts 4 and 5 of the written answers, sentence by sentence and table row by table row: each fragment is built
here from results.json with the test's own formatting (tests/helpers.py) and must appear verbatim in the PDF's text
(see test_report_sentences.py for Parts 1-3 and the method)."""

from __future__ import annotations

import re

import pytest

from helpers import fixed, percent, thousands
from sentences import compare, listing, missing, report, table_row  # noqa: F401 (report: a fixture)

pytestmark = pytest.mark.slow  # reads the quick run of every part


def test_part4_answers_quote_each_attacks_own_numbers(report):
    parts, text = report
    c, r = parts["part4"]["config"], parts["part4"]["result"]
    u, t = r["untargeted"], r["targeted"]
    median = lambda summary, key, digits: fixed(summary[key]["median"], digits)  # noqa: E731
    sweep = sorted(r["eps_sweep"], key=lambda row: row["eps"])
    small, large = sweep[0], sweep[-1]
    chosen = next(row for row in sweep if row["eps"] == c["eps"])
    rates = [row["success_rate"] for row in sweep]
    fragments = [
        (f"(test accuracy {percent(r['original_test_accuracy'], 2)}) in eval mode, on the first "
         f"{thousands(r['images'])} test images it classifies correctly"),
        (f"fool {percent(rates[0], 1)} of the images each" if min(rates) == max(rates) else
         f"the step sizes fool between {percent(min(rates), 1)} and {percent(max(rates), 1)} of the images"),
        f"(median {fixed(small['median_l2'], 2)} at",
        f"against {fixed(large['median_l2'], 2)} at",
        f"(median {fixed(small['median_steps'], 0)} steps against {fixed(large['median_steps'], 0)})",
        f"of {fixed(chosen['median_l2'], 2)} in that comparison",
        f"at a median of {fixed(chosen['median_steps'], 0)} steps",
        f"total change of up to {fixed(c['eps'] * c['max_steps'], 1)} per pixel",
        f"(over all {thousands(u['succeeded'])} successful untargeted attacks)",
        (f"The median perturbation changes {median(u, 'changed_pixels', 0)} of 784 pixels, its largest change to one "
         f"pixel ( ) has median {median(u, 'linf', 2)} ({percent(u['linf']['median'] / 2, 0)} of the input range"),
        f"and its median norm is {median(u, 'l2', 2)}.",
        (f"confidence in a wrong class (median {percent(u['final_confidence']['median'], 1)}), after a median of "
         f"{median(u, 'steps', 0)} steps. {percent(u['success_rate'], 1)} of the images were fooled within the step limit."),
        "the largest pixel changes are " + listing([fixed(e["linf"], 2) for e in r["untargeted_examples"]]),
        f"{percent(t['success_rate'], 1)} of the targeted attacks succeeded",
    ]
    if t["steps"]["median"] > u["steps"]["median"] and t["l2"]["median"] > u["l2"]["median"]:
        fragments.append(f"a median of {median(t, 'steps', 0)} steps against {median(u, 'steps', 0)}, and larger "
                         f"perturbations (median {median(t, 'l2', 2)} against {median(u, 'l2', 2)})")
    else:
        fragments.append(f"(median {median(t, 'steps', 0)} steps and {median(t, 'l2', 2)}, against "
                         f"{median(u, 'steps', 0)} and {median(u, 'l2', 2)} untargeted)")
    # The target grid: pairs (digit, target), digit != target, reached at least once and by every attack on them.
    off_diagonal = [r["pair_success"][s][g] for s in range(10) for g in range(10) if s != g]
    reached, always = sum(rate > 0 for rate in off_diagonal), sum(rate >= 1 for rate in off_diagonal)
    fragments.append(f"Every one of the 90 (digit, target) pairs was reached" if reached == 90 else
                     f"{reached} of the 90 (digit, target) pairs were reached at least once")
    if always < reached:
        fragments.append(f"({always} by every attack on them)")
    assert missing(text, fragments) == []


def test_part4_transfer_answers_quote_the_retrained_networks_numbers(report):
    parts, text = report
    c, r = parts["part4"]["config"], parts["part4"]["result"]
    u, t = r["untargeted"], r["targeted"]
    fragments = [
        f"(seed {r['retrained_seed']}; clean test accuracy {percent(r['retrained_test_accuracy'], 2)}). It classifies "
        f"{percent(u['retrained_accuracy_original'], 1)} of the original images correctly, and on the untargeted "
        f"adversarial images its accuracy is {percent(u['retrained_accuracy_adversarial'], 1)}: "
        f"{percent(u['retrained_misclassified'], 1)} of the images made for the first network",
        (f"For targeted images, {percent(t['retrained_misclassified'], 1)} are misclassified by the retrained network "
         f"and {percent(t['retrained_hit_target'], 1)} land on the intended target"),
    ]
    wrong = u["retrained_wrong_confidence_median"]
    if wrong is not None:
        gap = wrong - c["confidence"]
        word = "close to" if abs(gap) <= 0.05 else "below" if gap < 0 else "above"
        if abs(abs(gap) - 0.05) > 1e-6:  # at the band's edge float rounding decides; the number is still checked
            fragments.append(f"median confidence in its wrong answer is {percent(wrong, 0)}, {word} the "
                             f"{percent(c['confidence'], 0)} the attacked network was pushed to")
    if 0.02 < u["retrained_misclassified"] < 0.98:
        fragments.append("So adversarial images transfer partially")
    else:
        fragments.append(f"So the transfer rate of untargeted images is {percent(u['retrained_misclassified'], 1)}")
    difference = t["retrained_misclassified"] - u["retrained_misclassified"]
    if abs(difference) <= 0.05 - 1e-9:
        fragments.append(f"about as often ({percent(t['retrained_misclassified'], 1)} against "
                         f"{percent(u['retrained_misclassified'], 1)}, within 5 points)")
    elif difference > 0.05 + 1e-9:
        fragments.append(f"even more often than untargeted ones ({percent(t['retrained_misclassified'], 1)} against "
                         f"{percent(u['retrained_misclassified'], 1)})")
    # Table 9, row by row: the untargeted column, then the targeted one.
    fragments += [
        table_row(["Retrained accuracy on the original images", percent(u["retrained_accuracy_original"], 1),
              percent(t["retrained_accuracy_original"], 1)]),
        table_row(["Retrained accuracy on the adversarial images", percent(u["retrained_accuracy_adversarial"], 1),
              percent(t["retrained_accuracy_adversarial"], 1)]),
        table_row(["Transfer rate: still misclassified", percent(u["retrained_misclassified"], 1),
              percent(t["retrained_misclassified"], 1)]),
        table_row(["Targeted transfer: classified as the target —", percent(t["retrained_hit_target"], 1)]),
        table_row(["Same wrong class as the original network", percent(u["retrained_same_prediction"], 1),
              percent(t["retrained_same_prediction"], 1)]),
        table_row(["Misclassified with confidence ≥ 90%", percent(u["retrained_confident_wrong"], 1),
              percent(t["retrained_confident_wrong"], 1)]),
    ]
    # Table 7, the step-size comparison, a row per step.
    for row in sorted(r["eps_sweep"], key=lambda row: row["eps"]):
        fragments.append(table_row([str(row["eps"]), percent(row["success_rate"], 1), fixed(row["median_steps"], 0),
                               fixed(row["median_linf"], 2), fixed(row["median_l2"], 2),
                               percent(row["median_confidence"], 1)]))
    assert missing(text, fragments) == []


def test_part4_fine_tuning_answers_quote_the_fine_tuned_network_and_its_control(report):
    parts, text = report
    r = parts["part4"]["result"]
    g = r["retraining"]
    f, c = g["finetuned"], g["control"]
    fu, cu = f["fresh_untargeted"], c["fresh_untargeted"]
    fragments = [
        (f"into a training share of {thousands(g['training_test_images'])} ({percent(g['share'], 0)}) and a held-back "
         f"share of {thousands(g['held_back_test_images'])}."),
        (f"for {g['epochs']} epochs ({thousands(g['steps'])} steps of {g['batch_size']} images; Adam with a one-cycle "
         f"learning rate peaking at {g['max_lr']:g}) on {thousands(g['clean_in_training'])} clean training images plus the "
         f"{thousands(g['adversarial_untargeted_in_training'])} untargeted and "
         f"{thousands(g['adversarial_targeted_in_training'])} targeted successful adversarial images of the training share"),
        f"on {thousands(g['control_clean_in_training'])} clean training images and no adversarial image",
        f"({thousands(g['steps'])} optimisation steps per network)",
        (f"every network is fed the held-back share's {thousands(g['fed_untargeted'])} untargeted and "
         f"{thousands(g['fed_targeted'])} targeted successful adversarial images (made against the Part 3 network"
         + (", which misreads all of them)" if g["original"]["untargeted_accuracy"] == 0
            and g["original"]["targeted_accuracy"] == 0 else ")")),
        f"clean accuracy is measured on the {thousands(g['clean_test_images'])} test images outside the training share",
        f"on those of the first {thousands(g['fresh_attack_test_images'])} held-back test images that each classifies",
        f": {percent(f['untargeted_accuracy'], 1)} against {percent(c['untargeted_accuracy'], 1)}; on the targeted ones",
        f"({percent(f['targeted_accuracy'], 1)} against {percent(c['targeted_accuracy'], 1)}). The control",
        f"still misreads {percent(1 - c['untargeted_accuracy'], 1)} of the held-back untargeted images",
        (f"is {percent(f['clean_accuracy'], 2)} for the network fine-tuned with adversarial images and "
         f"{percent(c['clean_accuracy'], 2)} for the control ("),
        f"the Part 3 network: {percent(g['original']['clean_accuracy'], 2)}). Attacked afresh",
        (f"is fooled on {percent(fu['success_rate'], 1)} of the {thousands(fu['attacked'])} held-back images it "
         f"classifies correctly (the control: {percent(cu['success_rate'], 1)} of the {thousands(cu['attacked'])} it"),
        (f"of {fixed(fu['median_l2'], 2)} against {fixed(cu['median_l2'], 2)} ("),
        (f"after a median of {fixed(fu['median_steps'], 0)} steps against {fixed(cu['median_steps'], 0)}; the targeted "
         f"attack succeeds on {percent(f['fresh_targeted']['success_rate'], 1)} against "
         f"{percent(c['fresh_targeted']['success_rate'], 1)}."),
    ]
    accuracy_word = compare(f["untargeted_accuracy"], c["untargeted_accuracy"], 0.05)
    if accuracy_word == "about the same":
        fragments.append("fine-tuned with adversarial images is about as accurate as the control (within 5 points)")
    elif accuracy_word:
        fragments.append(f"fine-tuned with adversarial images is {'more' if accuracy_word == 'higher' else 'less'} "
                         f"accurate than the control")
    if accuracy_word == "higher":
        fragments.append(f"({percent(f['untargeted_accuracy'], 1)} of the held-back untargeted images against the "
                         f"control's {percent(c['untargeted_accuracy'], 1)})")
    clean_word = compare(f["clean_accuracy"], c["clean_accuracy"], 0.003)
    if clean_word == "about the same":
        fragments.append("(within 0.3 points of each other; the Part 3 network")
    elif clean_word:
        points = fixed(abs(f["clean_accuracy"] - c["clean_accuracy"]) * 100, 2)
        fragments.append(f"for the control ({clean_word} by {points} points; the Part 3 network")
    u = r["untargeted"]
    fragments.append(f"{percent(u['retrained_misclassified'], 1)} of the untargeted ones fool "
                     + ("a network trained independently" if u["retrained_misclassified"] >= 0.1 else "it."))
    if fu["success_rate"] >= 0.6:
        fragments.append(f"it still fools the network on {percent(fu['success_rate'], 1)} of the "
                         f"{thousands(fu['attacked'])} held-back images it classifies correctly")
    elif fu["success_rate"] < 0.4:
        fragments.append(f"fails on most held-back images ({percent(1 - fu['success_rate'], 1)})")
    assert missing(text, fragments) == []


def _robust(r5: dict, network: str, budget: float) -> tuple[float, str]:
    """(robust accuracy of `network` at `budget`, its binomial standard error as printed)."""
    row = next(row for row in r5["robustness"] if row["network"] == network)
    p = row["robust"][row["budgets"].index(budget)]
    return p, percent((p * (1 - p) / row["images"]) ** 0.5, 1)


def test_part5_confidence_answers_and_table_quote_each_row(report):
    parts, text = report
    r4, c, r = parts["part4"]["result"], parts["part5"]["config"], parts["part5"]["result"]
    u = [row for row in r["confidence"] if row["attack"] == "untargeted"]
    t = [row for row in r["confidence"] if row["attack"] == "targeted"]
    fragments = [
        (f"Here the same attacks continue on the first {thousands(r['images_confidence'])} of Part 4's images to "
         f"stopping confidences of {', '.join(str(row['threshold']) for row in u)}: about evenly spaced"),
        (f"so its transfer ({percent(u[0]['transfer_misclassified'], 1)}) is measured on these "
         f"{thousands(r['images_confidence'])} images, where Part 4's "
         f"{percent(r4['untargeted']['retrained_misclassified'], 1)} counts all {thousands(r4['images'])} of its images"),
        (f"goes from {percent(u[0]['transfer_misclassified'], 1)} to {percent(u[-1]['transfer_misclassified'], 1)} for "
         f"the untargeted attack, and the share of targeted images landing on their target from "
         f"{percent(t[0]['transfer_hit_target'], 1)} to {percent(t[-1]['transfer_hit_target'], 1)}"),
        (f"the untargeted median from {fixed(u[0]['median_l2'], 2)} to {fixed(u[-1]['median_l2'], 2)} ("),
        (f"its median from {fixed(u[0]['median_linf'], 2)} to {fixed(u[-1]['median_linf'], 2)}, and the median "
         f"number of steps from {fixed(u[0]['median_steps'], 0)} to {fixed(u[-1]['median_steps'], 0)}."),
    ]
    short = [f"{row['attack']} {percent(row['success_rate'], 1)}" for row in (u[-1], t[-1]) if row["success_rate"] < 1]
    if short:
        fragments.append(f"Not every image reaches the highest confidence within {c['threshold_max_steps']} steps "
                         f"({', '.join(short)} succeed)")
    for row in r["confidence"]:  # Table 11
        cells = [row["attack"], str(row["threshold"]), percent(row["success_rate"], 1), fixed(row["median_steps"], 0),
                 fixed(row["median_linf"], 2), fixed(row["median_l2"], 2), fixed(row["median_changed_pixels"], 0),
                 percent(row["transfer_misclassified"], 1),
                 "–" if row["transfer_hit_target"] is None else percent(row["transfer_hit_target"], 1)]
        fragments.append(table_row(cells))
    assert missing(text, fragments) == []


def test_part5_robustness_answers_and_table_quote_each_network(report):
    parts, text = report
    c, r = parts["part5"]["config"], parts["part5"]["result"]
    b = r["robust_settings"]["headline"]
    original, _ = _robust(r5=r, network="original", budget=b)
    single, _ = _robust(r, "single-step (Goodfellow-style)", b)
    defended, error = _robust(r, "adversarially trained", b)
    images = r["robust_settings"]["images"]
    # The single-step network's sentence leads with its smallest budget when that is below the headline (full runs:
    # 0.3, its training step), then the headline. The PDF's text drops the formulas ($b = 0.3$).
    first = next(row for row in r["robustness"] if row["network"] == "single-step (Goodfellow-style)")["budgets"][0]
    lead = "" if first == b else (f"{percent(_robust(r, 'single-step (Goodfellow-style)', first)[0], 1)} at"
                                  + (" (its training step)" if first == c["adversarial_eps"] else "") + " and ")
    fragments = [
        (f"There the Part 3 network keeps {percent(original, 1)} of the {thousands(images)} test images, the "
         f"Goodfellow-style single-step network we trained {percent(single, 1)}, and the new defended network described "
         f"next {percent(defended, 1)} (standard error {error})."),
        f"Against the multi-step attacks above, ours keeps {lead}{percent(single, 1)} at .",
        (f"its checks read {', '.join(percent(value, 1) for value in r['guard']['history'])}"
         + (": it never fired." if not r["guard"]["collapsed"] else "")),
        f"a guard attacks {thousands(r['guard']['images'])} held-out training images with a {r['guard']['steps']}-step",
        f"on a drop of more than {fixed(100 * r['guard']['collapse'], 0)} percentage points",
        (f"{percent(r['defended_test_accuracy'], 2)} on all 10,000 test images and a robust accuracy of "
         f"{percent(defended, 1)} ( {error}) at"),
        f"so {percent(defended, 1)} is not a held-out estimate",
        f"(1 epoch on {thousands(c['training_subset'])} training images; clean accuracy "
        f"{percent(r['goodfellow_test_accuracy'], 2)})" if c["training_epochs"] == 1 else
        f"clean accuracy {percent(r['goodfellow_test_accuracy'], 2)})",
        f"{percent(r['defended_test_accuracy'], 2)} {percent(defended, 2)} Against the papers",
        f"Our {percent(defended, 1)} is",
    ]
    # Table 12: passes x epochs, clean accuracy on these images, then each budget (a dash where not evaluated).
    passes = {"original": (1, parts["part3"]["config"]["epochs"]), "retrained": (1, parts["part3"]["config"]["epochs"]),
              "single-step (Goodfellow-style)": (c["adversarial_steps"] + (2 if c["adversarial_alpha"] > 0 else 1),
                                                 c["training_epochs"]),
              "adversarially trained": ((1 if c["defence_attack"] == "nfgsm" else c["defence_steps"])
                                        + (2 if c["defence_alpha"] > 0 else 1), r["guard"]["epochs_trained"])}
    budgets = sorted({budget for row in r["robustness"] for budget in row["budgets"]})
    fragments.append(" ".join(f"= {budget} ({budget / 2})" for budget in budgets))
    for row in r["robustness"]:
        cells = [row["network"], f"{passes[row['network']][0]} × {passes[row['network']][1]}",
                 percent(row["clean_accuracy"], 1)]
        for budget in budgets:
            if budget not in row["budgets"]:
                cells.append("–")
                continue
            p, error = _robust(r, row["network"], budget)
            cells.append(percent(p, 1) + (f" ± {error}" if p > 0 else ""))
        fragments.append(table_row(cells))
    assert missing(text, fragments) == []


def test_part5_second_view_transfer_and_universal_answers_quote_their_own_rows(report):
    parts, text = report
    r = parts["part5"]["result"]
    second = {row["network"]: row for row in r["defended"]}
    d0, dn = second["original"], second["adversarially trained"]
    index = {name: k for k, name in enumerate(r["networks"])}
    transfer = lambda made_on, fed_to: r["transfer"][index[made_on]][index[fed_to]]  # noqa: E731
    h = r["universal_headline"]
    row = next(row for row in r["universal"] if row["budget"] == h["budget"])
    fragments = [
        (f"{r['attack_max_steps']} steps of {r['attack_eps']:g} can add up to "
         f"{fixed(r['attack_max_steps'] * r['attack_eps'], 0)} to a pixel"),
        f"success against the defended network is {percent(dn['success_rate'], 1)} (original {percent(d0['success_rate'], 1)})",
        (f"images made on the original fool the defended network {percent(transfer('original', 'adversarially trained'), 1)}"
         f" of the time (the retrained one: {percent(transfer('original', 'retrained'), 1)}), and "
         + (f"images made on the defended network fool the original {percent(transfer('adversarially trained', 'original'), 1)}"
            f" of the time" if transfer("adversarially trained", "original") is not None
            else "the attack made no adversarial image on the defended network to transfer")),
        f"changes the prediction of {percent(h['fooling_rate'], 1)} of the test images",
        f"changes {percent(row['random_fooling_rate'], 1)}.",
        (f"brightens {thousands(row['pixels'])} of the 784 pixels, {thousands(h['pixels_at_budget'])} of them by the "
         f"whole budget, {fixed(h['mean_value'], 2)} per pixel on average over all 784"),
        (f"The same fools the retrained network on {percent(h['transfer']['retrained'], 1)} and the adversarially "
         f"trained one on {percent(h['transfer']['adversarially trained'], 1)} of the test images"),
        (f"Of the {len(h['examples'])} digits shown with added ({', '.join(str(e['label']) for e in h['examples'])}), "
         f"the network now predicts {', '.join(str(e['prediction']) for e in h['examples'])}"),
    ]
    if dn["median_steps"] is not None:
        fragments.append(f"the median attack needs {fixed(dn['median_steps'], 0)} steps instead of "
                         f"{fixed(d0['median_steps'], 0)}")
        fragments.append(f"L_\\infty = {fixed(dn['median_linf'], 2)} L_2 = {fixed(dn['median_l2'], 2)} "
                         f"{fixed(d0['median_linf'], 2)} {fixed(d0['median_l2'], 2)}")
    for name in r["networks"]:  # Table 13, the second view, and Table 14, the transfer matrix
        s = second[name]
        cells = [percent(s["clean_accuracy"], 2), percent(s["success_rate"], 1)]
        if s["median_steps"] is not None:
            cells += [fixed(s["median_steps"], 0), fixed(s["median_linf"], 2), fixed(s["median_l2"], 2),
                      fixed(s["median_changed_pixels"], 0)]
        fragments.append(table_row(cells))
    for universal in r["universal"]:  # Table 17
        fragments.append(table_row([str(universal["budget"]), fixed(universal["l2"], 2), thousands(universal["pixels"]),
                               percent(universal["fooling_rate"], 1), percent(universal["random_fooling_rate"], 1),
                               fixed(universal["random_l2"], 2)]))
    assert missing(text, fragments) == []


def test_part4_fine_tuning_table_rows_in_column_order(report):
    """Table 10: Part 3 network, retrained from scratch (a), control, fine-tuned with adversarial images."""
    parts, text = report
    g = parts["part4"]["result"]["retraining"]
    o, f, c = g["original"], g["finetuned"], g["control"]
    fragments = [
        table_row(["Clean accuracy", percent(o["clean_accuracy"], 2), percent(g["transfer_clean_accuracy"], 2),
              percent(c["clean_accuracy"], 2), percent(f["clean_accuracy"], 2)]),
        table_row(["Accuracy, held-back untargeted images", percent(o["untargeted_accuracy"], 1),
              percent(g["transfer_untargeted_accuracy"], 1), percent(c["untargeted_accuracy"], 1),
              percent(f["untargeted_accuracy"], 1)]),
        table_row(["Accuracy, held-back targeted images", percent(o["targeted_accuracy"], 1),
              percent(g["transfer_targeted_accuracy"], 1), percent(c["targeted_accuracy"], 1),
              percent(f["targeted_accuracy"], 1)]),
    ]
    for attack in ("fresh_untargeted", "fresh_targeted"):
        medians = [" / ".join([fixed(n[attack]["median_steps"], 0), fixed(n[attack]["median_linf"], 2),
                               fixed(n[attack]["median_l2"], 2)]) for n in (o, c, f)]
        fragments.append(f"/ / {medians[0]} — {medians[1]} {medians[2]}")
    assert missing(text, fragments) == []


def test_part4_and_part5_remaining_sentences_read_from_the_saved_numbers(report):
    """The worked examples through the retrained network, 4.3's pointer to 5.1, 5.1's "room to rise", 5.2's
    training cost and threat model, 5.3's visible pattern and where the fooled images go: each from the results."""
    parts, text = report
    r4, c5, r5 = parts["part4"]["result"], parts["part5"]["config"], parts["part5"]["result"]
    u, t = r4["untargeted"], r4["targeted"]
    examples = [("untargeted", k + 1, e) for k, e in enumerate(r4["untargeted_examples"])] + \
               [("targeted", k + 1, e) for k, e in enumerate(r4["targeted_examples"])]
    expected = (len(r4["untargeted_examples"]) * u["retrained_misclassified"]
                + len(r4["targeted_examples"]) * t["retrained_misclassified"])
    on_target = [f"{kind} {k}" for kind, k, e in examples if kind == "targeted" and e["retrained_prediction"] == e["target"]]
    u5 = [row for row in r5["confidence"] if row["attack"] == "untargeted"]
    b = r5["robust_settings"]["headline"]
    attack_passes = 1 if c5["defence_attack"] == "nfgsm" else c5["defence_steps"]
    fragments = [
        f"about {fixed(expected, 1)} of the {len(examples)} examples would be expected to be misread",
        f"(median final confidence {percent(u['final_confidence']['median'], 1)})",
        (f"untargeted transfer goes from {percent(u5[0]['transfer_misclassified'], 1)} at {u5[0]['threshold']} to "
         f"{percent(u5[-1]['transfer_misclassified'], 1)} at {u5[-1]['threshold']}"),
        (f"{attack_passes + (2 if c5['defence_alpha'] > 0 else 1)} forward-backward passes per training image and epoch "
         f"({attack_passes} for the training attack, "
         + ("2 for the update on the clean and the adversarial image)" if c5["defence_alpha"] > 0 else "1 for the update)")),
        f"one-sided, {b} on [-1, 1] = {b / 2} on [0, 1]",
    ]
    if on_target:
        fragments.append(f"; {listing(on_target)} land{'s' if len(on_target) == 1 else ''} on "
                         f"{'its' if len(on_target) == 1 else 'their'} target there")
    rise = u5[-1]["transfer_misclassified"] - u5[0]["transfer_misclassified"]
    clause = f"(the untargeted transfer starts at {percent(u5[0]['transfer_misclassified'], 1)}, so it has little room to rise)"
    assert (clause in text) == (u5[0]["transfer_misclassified"] > 0.9 and rise <= 0.1)
    h = r5["universal_headline"]
    assert ("it is a visible grey pattern" in text) == (h["budget"] >= 0.2)
    dn = next(row for row in r5["defended"] if row["network"] == "adversarially trained")
    assert ("exceeds the headline budget" in text) == (dn["median_linf"] is not None and dn["median_linf"] > b)
    into = h["fooled_into"]
    top, fooled = max(into), sum(into)
    if top == fooled and fooled:
        fragments.append(f"all of them ({thousands(top)}) go to the same class, {into.index(top)}")
    elif top * 2 >= fooled and fooled:
        share = top / fooled
        fragments.append(f"{thousands(top)} of the {thousands(fooled)} ({percent(share, 2 if share > 0.999 else 1)}) go "
                         f"to the same class, {into.index(top)}.")
    assert missing(text, fragments) == []


def _figure_number(text: str, caption_start: str) -> str:
    """The number the PDF gives the figure whose caption starts with `caption_start`."""
    found = re.search(r"Figure (\d+)\. " + re.escape(caption_start), text)
    assert found, caption_start
    return found.group(1)


def test_part4_examples_and_perturbation_sentences_read_from_the_saved_numbers(report):
    parts, text = report
    c, r = parts["part4"]["config"], parts["part4"]["result"]
    u = r["untargeted"]
    linf, pixels = u["linf"]["median"], u["changed_pixels"]["median"]
    sweep = sorted(r["eps_sweep"], key=lambda row: row["eps"])
    small, chosen = sweep[0], next(row for row in sweep if row["eps"] == c["eps"])
    figure = _figure_number(text, "Two untargeted examples")
    fragments = [
        f"In the examples of Figure {figure} the largest pixel changes are",
        f"spread over a median of {fixed(pixels, 0)}",
    ]
    if linf / 2 < 0.05 or linf / 2 >= 0.10:  # "small" below 5% of the range, "not small" from 10%
        fragments.append(f"(the median largest change, {fixed(linf, 2)}, is {percent(linf / 2, 0)} of the")
    else:  # in between: no word, the numbers only
        fragments.append(f"the median largest change is {fixed(linf, 2)} ({percent(linf / 2, 0)} of the input range)")
    if chosen is not small:
        fragments += [f"in that comparison (the smallest step, : {fixed(small['median_l2'], 2)}) at a median of "
                      f"{fixed(chosen['median_steps'], 0)} steps (against {fixed(small['median_steps'], 0)})"]
    else:
        fragments += [f"in that comparison at a median of {fixed(chosen['median_steps'], 0)} steps,"]
    # 4.3 (b): which worked examples are held back, and which of those each fine-tuned network reads right.
    examples = [(f"untargeted {k + 1}", e) for k, e in enumerate(r["untargeted_examples"])] + \
               [(f"targeted {k + 1}", e) for k, e in enumerate(r["targeted_examples"])]
    held = [(name, e) for name, e in examples if e["held_back"]]
    if held:
        names = [name for name, _ in held]
        finetuned = [name for name, e in held if e["finetuned_prediction"] == e["label"]]
        control = [name for name, e in held if e["control_prediction"] == e["label"]]
        fragments += [f"Of the worked examples, {listing(names)} {'is' if len(names) == 1 else 'are'} in the held-back share",
                      f"reads {listing(finetuned) if finetuned else 'none of them'} as the true digit, the control "
                      f"{listing(control) if control else 'none'} ("]
    assert missing(text, fragments) == []


def _ratio_word(a: float, b: float, factor: float) -> str | None:
    """'larger' / 'smaller' beyond `factor`, 'about the same' within it; None where float noise could flip it."""
    if a <= 0 or b <= 0:
        return None
    ratio = a / b
    if min(abs(ratio - factor), abs(ratio - 1 / factor)) < 1e-9:
        return None
    return "larger" if ratio > factor else "smaller" if ratio < 1 / factor else "about the same"


def test_part4_fresh_attack_comparison_words_follow_the_numbers(report):
    """4.3 (b)'s fresh attacks: the success-rate words (5 points) and the perturbation-size words (factor 1.1)."""
    parts, text = report
    g = parts["part4"]["result"]["retraining"]
    fu, cu = g["finetuned"]["fresh_untargeted"], g["control"]["fresh_untargeted"]
    fragments = []
    success = compare(fu["success_rate"], cu["success_rate"], 0.05)
    if success in ("higher", "lower"):
        fragments.append(f"it classifies correctly, so {success} for the network fine-tuned with adversarial images)")
    elif success == "about the same" and fu["success_rate"] != cu["success_rate"]:
        fragments.append("classifies correctly; the two are within 5 points)")
    size = _ratio_word(fu["median_l2"], cu["median_l2"], 1.1)
    if size == "about the same":
        fragments.append(f"{fixed(cu['median_l2'], 2)} (about the same, within a factor of 1.1) after")
    elif size:
        fragments.append(f"{fixed(cu['median_l2'], 2)} ({size} for the network fine-tuned with adversarial images) after")
    if fu["success_rate"] >= 0.6 and size:
        assert ("though with larger perturbations than on the control" in text) == (size == "larger")
    assert missing(text, fragments) == []


def test_part5_method_sentences_follow_the_config(report):
    """5.2's method as the run's settings give it: the attacks in order, PGD's start(s), the defence's recipe
    (steps, epochs, from scratch or fine-tuned), the single-step network's numbers, the papers table's row."""
    parts, text = report
    c, r = parts["part5"]["config"], parts["part5"]["result"]
    s, b = r["robust_settings"], r["robust_settings"]["headline"]
    attacks = ", ".join(s["attacks"])
    epochs = r["guard"]["epochs_trained"]
    starts = (f"from each of {len(s['starts'])} starts" if len(s["starts"]) > 1 else f"from a {s['starts'][0]} start")
    dg = next(row for row in r["defended"] if row["network"] == "single-step (Goodfellow-style)")
    fragments = [
        f"each on the images the ones before it did not fool: {attacks} (PGD: {s['steps']} sign steps of",
        f"{starts}" + (";" if s["apgd_iterations"] else ")"),
        (f"{'the Part 3 network is fine-tuned' if c['defence_init'] == 'part3' else 'a fresh network is trained'} for "
         f"{epochs} {'epochs' if epochs > 1 else 'epoch'} of the one-cycle Adam recipe (peak learning rate "
         f"{c['defence_max_lr']})"),
        (f"{c['defence_steps']} sign {'steps' if c['defence_steps'] > 1 else 'step'} of {c['defence_step']} × , projected"
         if c["defence_attack"] == "pgd" else f"one sign step of {c['defence_step']} ×"),
        ("(the single-step network: fooled on none)" if dg["median_steps"] is None else
         f"(the single-step network: {fixed(dg['median_steps'], 0)} steps, )"),
        ("Part 3’s network, fine-tuned adversarially" if c["defence_init"] == "part3" else
         "Part 3’s architecture, trained adversarially from scratch"),
        f"{attacks} {percent(r['defended_test_accuracy'], 2)}",
        "A published MNIST defence at = 0.3 on [0, 1] (its authors' numbers, not measured here), next to ours. Their "
        "attacks may subtract as well as add (two-sided box), ours may only add; so the rows are not the same experiment.",
        f"(ours for {c['defence_epochs']} epoch{'s' if c['defence_epochs'] != 1 else ''}, with a guard)",
    ]
    single = next(row for row in r["robustness"] if row["network"] == "single-step (Goodfellow-style)")
    if s["apgd_iterations"] and b in single["budgets"]:
        assert ("(Budgets are attacked in ascending order" in text) == (single["budgets"][0] != b)
    assert missing(text, fragments) == []


def test_part4_captions_name_their_own_attack_networks_and_figures(report):
    parts, text = report
    c, r = parts["part4"]["config"], parts["part4"]["result"]
    untargeted = _figure_number(text, "Two untargeted examples")
    targeted = _figure_number(text, "Two targeted examples")
    fragments = [
        f"The untargeted attack on the first {thousands(r['eps_sweep'][0]['images'])} attacked images with several step sizes",
        f"Two targeted examples, laid out as Figure {untargeted}; the title of",
        f"The worked examples of Figure {untargeted} and Figure {targeted} through the networks: the original and the "
        f"freshly retrained network of reading (a)",
        (f"Reading (a): transfer to the freshly trained network (seed {r['retrained_seed']}, clean test accuracy "
         f"{percent(r['retrained_test_accuracy'], 2)})"),
    ]
    # Table 8's rows: each example named by its own attack and number, then its true digit and target.
    for kind in ("untargeted", "targeted"):
        for k, e in enumerate(r[f"{kind}_examples"], 1):
            fragments.append(f" {kind} {k} {e['label']} {e['target'] if e['target'] >= 0 else '—'} {e['label']} (")
    assert missing(text, fragments) == []


def test_part4_and_part5_table_captions_state_their_own_numbers(report):
    parts, text = report
    g = parts["part4"]["result"]["retraining"]
    c4, c5, r5 = parts["part4"]["config"], parts["part5"]["config"], parts["part5"]["result"]
    s = r5["robust_settings"]
    fragments = [
        (f"Clean accuracy on the {thousands(g['clean_test_images'])} test images outside the training share; accuracy "
         f"on the held-back share's {thousands(g['fed_untargeted'])} untargeted and {thousands(g['fed_targeted'])} "
         f"targeted adversarial images"),
        f"on those of the first {thousands(g['fresh_attack_test_images'])} held-back test images that it classifies",
        (f"The Part 4 attacks ({len(c5['thresholds'])} stopping confidences, same step size = {c4['eps']}) continued "
         f"past the 0.90 stop, on the first {thousands(r5['images_confidence'])} images Part 4 attacked, with up to "
         f"{c5['threshold_max_steps']} steps."),
        (f"share of the first {thousands(s['images'])} test images still classified correctly after every attack "
         f"({', '.join(s['attacks'])}, each on the images the ones before it did not fool)"),
        "Left: transfer to the retrained network (untargeted: misclassified; targeted: classified as the target)",
        (f"under the Part 4 attack (untargeted, = {r5['attack_eps']}, at most {r5['attack_max_steps']} steps, stop at "
         f"0.90, no budget) on the first {thousands(r5['defended_images'])} Part 4 images that all four classify"),
        (f"and their fooling rate (prediction changed) on {thousands(r5['universal_test_images'])} test images, which "
         f"they never saw"),
    ]
    assert missing(text, fragments) == []
