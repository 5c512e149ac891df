"""Part 1: the neuron's gradients by autograd agree with the analytic formulas, the facts hold, and each
figure draws the array it is named for."""

import itertools
import math

import numpy as np
import pytest
import torch

import helpers
from helpers import draw_and_capture
from hw1.parts.part1_neuron.compute import analytic_gradients, neuron_surfaces, run
from hw1.parts.part1_neuron.config import Part1Config
from hw1.toolkit.plotting import load_npz
from hw1.toolkit.runtime import RunContext


def test_gradients_match_formulas_written_out_here():
    """dL/dw by the chain rule, written in this test (not the product's `analytic_gradients`):
    s = sigmoid(w x + b); dL2/dw = 2 (s - y) s (1 - s) x; dCE/dw = (s - y) x."""
    generator = torch.Generator().manual_seed(0)
    # Points from the flat middle to deep saturation, both signs.
    w = (torch.rand(500, generator=generator, dtype=torch.float64) - 0.5) * 30
    b = (torch.rand(500, generator=generator, dtype=torch.float64) - 0.5) * 30
    for x, y in ((1.0, 0.5), (1.0, 0.0), (-2.0, 1.0), (0.5, 0.25), (3.0, 0.9)):
        surfaces = neuron_surfaces(w, b, x, y)
        s = 1.0 / (1.0 + np.exp(-(w.numpy() * x + b.numpy())))
        l2 = 2.0 * (s - y) * s * (1.0 - s) * x
        ce = (s - y) * x
        np.testing.assert_allclose(surfaces["l2_grad_w"].numpy(), l2, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(surfaces["ce_grad_w"].numpy(), ce, rtol=1e-9, atol=1e-14)
        # And the product's own analytic formulas agree with these.
        product_l2, product_ce = analytic_gradients(w.numpy(), b.numpy(), x, y)
        np.testing.assert_allclose(product_l2, l2, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(product_ce, ce, rtol=1e-9, atol=1e-14)


def test_saved_surfaces_match_formulas_at_the_assignments_setting(tmp_path):
    """The artifact the figures are drawn from, checked pointwise (x = 1, y = 0.5)."""
    ctx = RunContext(device=torch.device("cpu"), seed=0, out_dir=tmp_path, data_dir=tmp_path)
    run(Part1Config(grid_points=21), ctx)
    arrays = np.load(tmp_path / "artifacts" / "part1.npz")
    w, b = np.meshgrid(arrays["w"], arrays["b"], indexing="xy")  # (len(b), len(w))
    s = 1.0 / (1.0 + np.exp(-(w + b)))
    np.testing.assert_allclose(arrays["output"], s, rtol=1e-12)
    np.testing.assert_allclose(arrays["l2_loss"], (s - 0.5) ** 2, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(arrays["l2_grad_w"], 2 * (s - 0.5) * s * (1 - s), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(arrays["ce_loss"], -(0.5 * np.log(s) + 0.5 * np.log(1 - s)), rtol=1e-12)
    np.testing.assert_allclose(arrays["ce_grad_w"], s - 0.5, rtol=1e-9, atol=1e-15)


def test_where_the_l2_gradient_peaks_is_found_from_the_formula_written_here(tmp_path):
    """1.3's "largest at |z| = ...": on the saved grid, the |w + b| where |2 (s - 0.5) s (1 - s)| is largest
    (found here, not with the product's argmax), and near the analytic peak of that function of z (about 1.32)."""
    config = Part1Config(grid_points=41)
    ctx = RunContext(device=torch.device("cpu"), seed=0, out_dir=tmp_path, data_dir=tmp_path)
    result = run(config, ctx)
    axis = np.load(tmp_path / "artifacts" / "part1.npz")["w"]
    z = np.add.outer(axis, axis)  # every w + b of the grid
    s = 1.0 / (1.0 + np.exp(-z))
    gradient = np.abs(2 * (s - 0.5) * s * (1 - s))
    assert math.isclose(result.l2_grad_abs_max, gradient.max(), rel_tol=1e-9)
    assert math.isclose(result.l2_grad_abs_max_at_z, abs(z.flat[np.argmax(gradient)]), abs_tol=1e-9)
    fine = np.linspace(0.0, 10.0, 100_001)
    t = 1.0 / (1.0 + np.exp(-fine))
    analytic_peak = fine[np.argmax(np.abs(2 * (t - 0.5) * t * (1 - t)))]
    step = axis[1] - axis[0]
    assert abs(result.l2_grad_abs_max_at_z - analytic_peak) <= step, (result.l2_grad_abs_max_at_z, analytic_peak)


def test_losses_match_their_definitions():
    w = torch.tensor([-3.0, 0.0, 2.0], dtype=torch.float64)
    b = torch.tensor([1.0, 0.0, 0.5], dtype=torch.float64)
    s = torch.sigmoid(w + b)
    surfaces = neuron_surfaces(w, b, 1.0, 0.5)
    torch.testing.assert_close(surfaces["l2_loss"], (s - 0.5) ** 2)
    torch.testing.assert_close(surfaces["ce_loss"], -(0.5 * torch.log(s) + 0.5 * torch.log(1 - s)))


def test_run_saves_surfaces_and_derives_facts(tmp_path):
    config = Part1Config(grid_points=41)
    ctx = RunContext(device=torch.device("cpu"), seed=0, out_dir=tmp_path, data_dir=tmp_path)
    result = run(config, ctx)
    arrays = np.load(tmp_path / "artifacts" / "part1.npz")
    for name in ("output", "l2_loss", "l2_grad_w", "ce_loss", "ce_grad_w"):
        assert arrays[name].shape == (41, 41)  # (len(b), len(w))
    assert arrays["w"][0] == -config.half_range and arrays["w"][-1] == config.half_range
    assert np.array_equal(arrays["b"], arrays["w"])  # the same axis for the bias
    assert ctx.artifacts_written == ["part1.npz"]
    # Facts the written answer relies on.
    assert math.isclose(result.ce_min, math.log(2), rel_tol=1e-12)  # minimum of CE at y = 0.5 is log 2
    assert result.ce_min_at_z == 0.0
    assert result.l2_max < 0.25 and result.l2_min == 0.0
    assert 0.09 < result.l2_grad_abs_max < 0.1  # analytic peak: 2 * 0.5 * max s(1-s)(s-.5) ~ 0.0962
    assert 0.49 < result.ce_grad_abs_max <= 0.5
    assert result.l2_vanishing_fraction > 0.3 and result.ce_vanishing_fraction == 0.0
    assert result.autograd_max_abs_error < 1e-12
    # The saturated corner w = b = half_range (z = 2 * half_range), by the formulas.
    corner = 1 / (1 + math.exp(-2 * config.half_range))
    assert result.l2_grad_at_corner == pytest.approx(abs(2 * (corner - 0.5) * corner * (1 - corner)), rel=1e-9)
    assert result.ce_grad_at_corner == pytest.approx(abs(corner - 0.5), rel=1e-9)


SURFACES = ("output", "l2_loss", "l2_grad_w", "ce_loss", "ce_grad_w")


def test_each_surface_figure_draws_its_own_array_over_the_grid_on_its_own_scale(part1_report, tmp_path, monkeypatch):
    """Each surface: its own array over the grid, a z-range and colour bar of its own (a shared range made the
    L2 gradient, peak 0.096, look flat beside the cross-entropy's), and no tick label at an axis end (the
    3-D axes meet there: "6 -6" collided)."""
    arrays = load_npz(part1_report / "artifacts" / "part1.npz")
    for first, second in itertools.combinations(SURFACES, 2):
        assert not np.allclose(arrays[first], arrays[second]), (first, second)  # a swap would show
    monkeypatch.setattr(helpers, "_DRAWING_METHODS_3D", helpers._DRAWING_METHODS_3D + ("plot_trisurf",))
    drawn = draw_and_capture(1, part1_report, tmp_path / "figures")
    w_grid, b_grid = np.meshgrid(arrays["w"], arrays["b"], indexing="xy")
    half_range = arrays["w"][-1]
    for name in SURFACES:
        (surface,) = drawn[name].of("plot_trisurf")
        w, b, z = (np.asarray(a) for a in surface.args[:3])
        np.testing.assert_array_equal(z, arrays[name].ravel(), err_msg=f"figure {name} draws another array")
        np.testing.assert_array_equal(w, w_grid.ravel(), err_msg=name)
        np.testing.assert_array_equal(b, b_grid.ravel(), err_msg=name)
        assert drawn[name].file == f"part1_{name}.png"
        ax, bar = drawn[name].axes  # the surface and its colour bar
        signed = arrays[name].min() < 0 < arrays[name].max()
        top = np.abs(arrays[name]).max() if signed else arrays[name].max()
        bottom = -top if signed else arrays[name].min()
        np.testing.assert_allclose(ax.get_zlim(), (bottom, top), err_msg=name)
        np.testing.assert_allclose(bar.get_ylim(), (bottom, top), err_msg=name)
        for ticks in (ax.get_xticks(), ax.get_yticks()):
            assert np.abs(ticks).max() < half_range, (name, ticks)


def test_the_gradient_slice_draws_each_gradient_at_b_0_under_its_own_label(part1_report, tmp_path):
    arrays = load_npz(part1_report / "artifacts" / "part1.npz")
    drawn = draw_and_capture(1, part1_report, tmp_path / "figures")
    row = int(np.argmin(np.abs(arrays["b"])))
    assert arrays["b"][row] == 0
    lines = {call.kwargs["label"]: call.args for call in drawn["grad_slice"].of("plot")}
    (l2,) = [args for label, args in lines.items() if "L2" in label]
    (ce,) = [args for label, args in lines.items() if "CE" in label]
    np.testing.assert_array_equal(l2[0], arrays["w"])
    np.testing.assert_array_equal(l2[1], arrays["l2_grad_w"][row])
    np.testing.assert_array_equal(ce[0], arrays["w"])
    np.testing.assert_array_equal(ce[1], arrays["ce_grad_w"][row])
