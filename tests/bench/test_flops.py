"""The roofline's FLOP counts equal the analytic ones (2 per multiply-add), double backward included; the peak
is a positive rate and the timing takes the median."""
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gankit.bench.flops import count_flops, flops_per_iteration, matmul_gflops, measure_peak, median_seconds


def fake_timer(durations):
    """A clock whose successive start/stop pairs are `durations` apart."""
    now, ticks = 0.0, []
    for d in durations:
        ticks += [now, now + d]
        now += d + 1.0
    return iter(ticks).__next__


def test_an_mlp_counts_2ab_per_sample_and_layer_forward_and_twice_that_backward():
    a, b, c, n = 5, 7, 3, 11
    net = nn.Sequential(nn.Linear(a, b), nn.ReLU(), nn.Linear(b, c))
    x = torch.randn(n, a)
    forward = 2 * n * (a * b + b * c)
    with torch.no_grad():
        assert count_flops(lambda: net(x)).flops == forward
    # backward: every weight's gradient, and the input gradient of every layer but the first (x needs none)
    assert count_flops(lambda: net(x).sum().backward()).flops == forward + forward + 2 * n * b * c
    x.requires_grad_(True)
    assert count_flops(lambda: net(x).sum().backward()).flops == 3 * forward


def test_a_convolution_counts_2_cin_k2_per_output_element():
    conv = nn.Conv2d(3, 8, 3, stride=2, padding=1)
    x = torch.randn(4, 3, 16, 16)
    count = count_flops(lambda: conv(x).sum().backward())
    forward = 2 * (4 * 8 * 8 * 8) * 3 * 3 * 3  # [4, 8, 8, 8] outputs, each 3 x 3 x 3 multiply-adds
    assert count.flops == 2 * forward and count.precision == "fp32"  # forward, and the weights' gradient


def test_double_backward_is_counted_as_torchs_flop_counter_counts_it():
    """A gradient penalty written with plain functions (no modules: FlopCounterMode's module tracking breaks
    torch.autograd.grad inside modules, which is why the bench counts with its own mode)."""
    from torch.utils.flop_counter import FlopCounterMode

    w1, w2 = torch.randn(16, 6, requires_grad=True), torch.randn(1, 16, requires_grad=True)

    def penalty_step():
        x = torch.randn(9, 6, requires_grad=True)
        score = F.linear(F.leaky_relu(F.linear(x, w1), 0.2), w2).sum()
        (grad,) = torch.autograd.grad(score, x, create_graph=True)
        ((grad.norm(dim=1) - 1) ** 2).mean().backward()

    with FlopCounterMode(display=False) as reference:
        penalty_step()
    forward = 2 * 9 * (6 * 16 + 16)
    assert count_flops(penalty_step).flops == reference.get_total_flops() > 3 * forward


def test_one_iteration_of_the_t2_gan_counts_every_matrix_product_of_both_phases(tmp_path):
    """T2's MLPs (G 32-256-256-64, D 64-256-256-1), batch B, the non-saturating loss, one D step then one G step."""
    from gankit.bench.speed import make_pair

    trainer, _ = make_pair("ns", tmp_path)
    B = 64
    g, g_first = 32 * 256 + 256 * 256 + 256 * 64, 32 * 256  # multiply-adds per sample: all layers, the first
    d, d_first = 64 * 256 + 256 * 256 + 256 * 1, 64 * 256
    critic = g + 2 * d + 2 * d + 2 * (d - d_first)  # G(z) as a constant; D on real and fake; D's weights and inputs
    generator = g + d + d + g + (g - g_first)  # G and D forward; D's input gradients only; G's weights and inputs
    count = flops_per_iteration(trainer)
    assert count.flops == 2 * B * (critic + generator) and count.precision == "fp32"
    assert trainer.phase_steps == {"D": 1, "G": 1}  # one real iteration


def test_a_gradient_penalty_adds_its_double_backward(tmp_path):
    """Per D step the penalty runs D forward on B points, its input gradient and the double backward into D's
    weights: at least 3 x 2Bd more than without it (2 x 2Bd if the double backward went uncounted)."""
    from gankit.bench.speed import make_pair

    with_gp, _ = make_pair("wgan-gp", tmp_path)
    without_gp, _ = make_pair("wgan-gp", tmp_path, "objective.name=wgan")
    d, n_critic, B = 64 * 256 + 256 * 256 + 256, 5, 64
    extra = flops_per_iteration(with_gp).flops - flops_per_iteration(without_gp).flops
    assert extra >= n_critic * 3 * 2 * B * d


def test_bf16_autocast_is_reported_as_bf16(tmp_path):
    from gankit.bench.speed import preset_trainer

    count = flops_per_iteration(preset_trainer("digits-wgan-gp", tmp_path, "train.precision=bf16"))
    assert "bf16" in count.precision.split("+")


def test_the_peak_is_the_median_rate_of_a_size_cubed_matmul():
    size = 32
    rate = matmul_gflops(torch.float32, size, repeats=3, timer=fake_timer([4.0, 0.5, 2.0]))  # the warm-up is untimed
    assert rate == pytest.approx(2 * size**3 / 2.0 / 1e9)
    assert median_seconds(lambda: None, 3, fake_timer([9.0, 1.0, 2.0])) == pytest.approx(2.0)


def test_the_measured_peak_is_a_positive_finite_rate_at_the_bench_thread_count():
    peak = measure_peak(repeats=1, size=128)
    assert all(math.isfinite(v) and v > 0 for v in (peak.fp32, peak.bf16))
    assert peak.threads == torch.get_num_threads() and peak.cpu.strip()
    assert f"{peak.threads} thread" in peak.line() and peak.cpu in peak.line()
