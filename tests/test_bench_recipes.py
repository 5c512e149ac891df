"""benchmarks/bench_defence.py trains what each recipe's name says: the attack and its step count ("FGSM-RS" and
"N-FGSM": one step, "PGD-k-RS": k), the budget, the epochs and the start. Its tables are quoted in docs/ and were
the basis of the product's choice, so a recipe that silently trains something else corrupts the record (it did:
after the product's defaults moved to PGD-2 for 2 epochs, "scratch 3 epochs" trained 2, and "FGSM-RS" 3 steps)."""

import importlib.util
import re
from pathlib import Path

from hw1.parts.part5_beyond.config import Part5Config

REPO = Path(__file__).resolve().parents[1]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_defence", REPO / "benchmarks" / "bench_defence.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_recipe_trains_what_its_name_says():
    bench = _bench()
    # Whatever the product's defaults are, a recipe's training must not move with them.
    other_product = Part5Config(defence_steps=7, defence_step=0.1, defence_epochs=5, defence_budget=0.33,
                                defence_alpha=0.25, defence_attack="nfgsm")
    checked = 0
    for name, overrides in bench.RECIPES.items():
        if overrides.get("goodfellow"):
            continue
        match = re.match(r"(FGSM-RS|N-FGSM|PGD-(\d+)-RS) ([\d.]+),.*?(fine-tune|scratch) (\d+) epochs?$", name)
        assert match, f"recipe name not understood: {name!r}"
        config = bench.recipe_config(other_product, overrides)
        steps = int(match.group(2)) if match.group(2) else 1
        attack = "nfgsm" if match.group(1) == "N-FGSM" else "pgd"
        assert config.defence_attack == attack, name
        if attack == "pgd":
            assert config.defence_steps == steps, name
        if match.group(1) == "FGSM-RS":
            assert config.defence_step == 1.25, name  # Wong, Rice and Kolter's step
        assert config.defence_budget == float(match.group(3)), name
        assert config.defence_epochs == int(match.group(5)), name
        assert overrides.get("init", "scratch") == ("part3" if match.group(4) == "fine-tune" else "scratch"), name
        # Fine-tuning trains on adversarial images only; from scratch, the mixed objective unless the name says not.
        assert (config.defence_alpha == 0) == ("adversarial only" in name or match.group(4) == "fine-tune"), name
        checked += 1
    assert checked >= 10
