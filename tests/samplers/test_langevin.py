"""Langevin / MALA on an analytic energy: an unequal 2-D Gaussian mixture with known modes and moments."""
import math

import pytest
import torch
from scipy.stats import ks_2samp

from gankit.errors import ConfigError
from gankit.samplers import SAMPLERS, anneal, langevin, mala

MEANS = torch.tensor([[-1.0, -0.5], [1.2, 0.0], [0.0, 1.3]])
WEIGHTS = torch.tensor([0.2, 0.3, 0.5])
STD = 0.6


def mixture_energy(x: torch.Tensor) -> torch.Tensor:
    """-log p(x) + const for the mixture sum_k w_k N(mu_k, STD^2 I). [N]"""
    sq = (x[:, None, :] - MEANS).pow(2).sum(-1)  # [N, K]
    return -torch.logsumexp(WEIGHTS.log() - sq / (2 * STD**2), dim=1)


def exact_samples(n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    k = torch.multinomial(WEIGHTS, n, replacement=True, generator=g)
    return MEANS[k] + STD * torch.randn(n, 2, generator=g)


def mode_shares(x: torch.Tensor) -> torch.Tensor:
    """Share of samples whose nearest mean is each mode [K] (overlap makes it differ from WEIGHTS)."""
    nearest = torch.cdist(x, MEANS).argmin(1)
    return torch.bincount(nearest, minlength=len(MEANS)).float() / len(x)


def exact_moments() -> tuple[torch.Tensor, torch.Tensor]:
    mean = WEIGHTS @ MEANS
    second = sum(w * (STD**2 * torch.eye(2) + m[:, None] * m[None, :]) for w, m in zip(WEIGHTS, MEANS))
    return mean, second - mean[:, None] * mean[None, :]


def broad_start(n: int) -> torch.Tensor:
    return 2.0 * torch.randn(n, 2, generator=torch.Generator().manual_seed(7))


@pytest.mark.parametrize("use_mala, step", [(False, 0.02), (True, 0.1)])
def test_long_chains_recover_mode_weights_and_moments(use_mala, step):
    x, info = langevin(mixture_energy, broad_start(3000), 300, step, mala=use_mala,
                       generator=torch.Generator().manual_seed(0))
    reference = mode_shares(exact_samples(200_000, 1))
    assert (mode_shares(x) - reference).abs().max() < 0.03
    mean, cov = exact_moments()
    torch.testing.assert_close(x.mean(0), mean, atol=0.06, rtol=0)
    torch.testing.assert_close(torch.cov(x.T), cov, atol=0.08, rtol=0)
    assert info["energy"][-1] < info["energy"][0]  # chains from a broad start move into the modes


def test_mala_leaves_the_exact_target_invariant_and_ula_with_a_big_step_does_not():
    x0 = exact_samples(4000, 2)
    fresh = exact_samples(4000, 3)
    x, info = mala(mixture_energy, x0, 30, 0.3, generator=torch.Generator().manual_seed(4))
    assert 0.3 < info["acceptance"] < 0.99  # it moved
    for direction in (torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0]), torch.tensor([0.6, 0.8])):
        assert ks_2samp((x @ direction).numpy(), (fresh @ direction).numpy()).pvalue > 0.01
    biased, _ = langevin(mixture_energy, x0, 30, 0.3, generator=torch.Generator().manual_seed(4))
    spread = lambda s: (s - s.mean(0)).norm(dim=1).numpy()  # noqa: E731  (ULA's bias inflates the spread)
    assert ks_2samp(spread(x), spread(fresh)).pvalue > 0.01
    assert ks_2samp(spread(biased), spread(fresh)).pvalue < 1e-3  # the test has power


def test_mala_acceptance_falls_as_the_step_grows():
    rates = [mala(mixture_energy, exact_samples(2000, 5), 10, step, generator=torch.Generator().manual_seed(6))[1]
             ["acceptance"] for step in (0.01, 0.1, 0.5, 2.0, 8.0)]
    assert all(a > b for a, b in zip(rates, rates[1:])), rates
    assert rates[0] > 0.95 and rates[-1] < 0.2


@pytest.mark.parametrize("name", ["langevin", "mala"])
def test_same_seed_same_chain_and_the_global_rng_is_untouched(name):
    sampler = SAMPLERS.get(name)
    state = torch.get_rng_state()
    runs = [sampler(mixture_energy, broad_start(50), 20, 0.05, chunk=16, trace=True,
                    generator=torch.Generator().manual_seed(3)) for _ in range(2)]
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(runs[0][0], runs[1][0]) and torch.equal(runs[0][1]["states"], runs[1][1]["states"])
    assert runs[0][1]["states"].shape == (21, 50, 2)
    torch.testing.assert_close(runs[0][1]["states"][-1], runs[0][0])
    other, _ = sampler(mixture_energy, broad_start(50), 20, 0.05, generator=torch.Generator().manual_seed(4))
    assert not torch.allclose(other, runs[0][0])


def test_decoupled_noise_clipping_and_clamping():
    x0 = broad_start(500)
    x, info = langevin(mixture_energy, x0, 50, 0.1, 0.01, clip_grad=0.5, clamp=(-1.0, 1.0),
                       generator=torch.Generator().manual_seed(0))
    assert x.min() >= -1 and x.max() <= 1
    assert info["temperature"] == pytest.approx(0.01**2 / 0.2)
    one_step, _ = langevin(mixture_energy, x0, 1, 0.1, 1e-12, clip_grad=0.5, generator=torch.Generator())
    assert (one_step - x0).abs().max() <= 0.05 + 1e-6  # each coordinate moves at most alpha * clip


def test_annealed_schedules_and_bad_lengths():
    steps = anneal("geometric", 0.1, 0.001, 5)
    assert steps[0] == pytest.approx(0.1) and steps[-1] == pytest.approx(0.001)
    assert all(math.isclose(a / b, steps[0] / steps[1]) for a, b in zip(steps, steps[1:]))
    assert anneal("linear", 1.0, 0.0, 3) == pytest.approx([1.0, 0.5, 0.0])
    x, info = langevin(mixture_energy, broad_start(10), 5, steps, generator=torch.Generator())
    assert info["energy"].shape == (6,)
    with pytest.raises(ConfigError, match="3 values for 5 steps"):
        langevin(mixture_energy, broad_start(10), 5, [0.1, 0.1, 0.1])


def test_score_field_runs_the_denoisers_annealed_langevin_exactly():
    """The DAE generator's sampler is the shared Langevin on a score field: the same chain as the explicit
    recursion x <- x + eps (r(x) - x) / 2 + sqrt(eps) sigma_t xi (docs/algorithms.md section 14)."""
    from gankit.objectives.autoencoders.dae import annealed_langevin, geometric_levels

    def r(x):  # a denoiser pulling towards 0.5
        return 0.5 + 0.8 * (x - 0.5)

    x0 = torch.randn(16, 3, generator=torch.Generator().manual_seed(1))
    levels, eps = geometric_levels(1.0, 0.05, 12), 0.1
    x, info = annealed_langevin(r, x0, levels, eps, torch.Generator().manual_seed(2))
    expected, noise = x0.clone(), torch.Generator().manual_seed(2)
    for sigma in levels.tolist():
        expected = expected + 0.5 * eps * (r(expected) - expected) + math.sqrt(eps) * sigma * torch.randn(16, 3, generator=noise)
    torch.testing.assert_close(x, expected)
    assert torch.isnan(info["energy"]).all()  # a score field has no energy to trace


def test_mala_refuses_a_score_field():
    from gankit.samplers import ScoreField

    with pytest.raises(ConfigError, match="MALA needs the energy itself"):
        langevin(ScoreField(lambda x: -x), torch.zeros(4, 2), 3, 0.1, mala=True)
