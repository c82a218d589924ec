"""EDM's Euler and Heun samplers on a Gaussian mixture whose exact denoiser is known in closed form:
E[x | x + sigma n] for x ~ sum_k w_k N(mu_k, s^2 I) is sum_k r_k(y) (mu_k + s^2 / (s^2 + sigma^2) (y - mu_k)), r_k the
posterior weights of the components under N(mu_k, (s^2 + sigma^2) I)."""
import math

import pytest
import torch
from scipy.stats import kstest, norm

from gankit.errors import ConfigError
from gankit.samplers import DIFFUSION_SAMPLERS, edm_sigmas, euler, heun, sampler_nfe

MEANS = 1.5 * torch.tensor([[-1.0, -0.5], [1.2, 0.0], [0.0, 1.3], [0.6, -1.2]], dtype=torch.float64)
WEIGHTS = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=torch.float64)
STD = 0.3  # the nearest means lie 6.7 STD apart


def exact_denoiser(y: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """E[x | y] under the mixture for y = x + sigma n. [N, 2]"""
    var = STD**2 + sigma.reshape(-1, 1) ** 2                           # [N, 1]
    sq = (y[:, None, :] - MEANS).pow(2).sum(-1)                          # [N, K]
    r = torch.softmax(WEIGHTS.log() - sq / (2 * var), dim=1)             # [N, K]
    shrink = (STD**2 / var)[:, :, None]                                  # [N, 1, 1]
    means = MEANS + shrink * (y[:, None, :] - MEANS)                     # [N, K, 2]
    return (r[:, :, None] * means).sum(1)


def noise(n: int, seed: int) -> torch.Tensor:
    return torch.randn(n, 2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def mixture_cdf(values, dim: int):
    """The mixture's marginal CDF along coordinate `dim`."""
    return sum(float(w) * norm.cdf(values, loc=float(m[dim]), scale=STD) for w, m in zip(WEIGHTS, MEANS))


def test_sigmas_follow_the_edm_schedule():
    s = edm_sigmas(18)
    assert len(s) == 19 and s[-1] == 0
    assert math.isclose(float(s[0]), 80.0, rel_tol=1e-9) and math.isclose(float(s[-2]), 0.002, rel_tol=1e-9)
    assert bool((s[:-1].diff() < 0).all())
    middle = (80 ** (1 / 7) + 0.5 * (0.002 ** (1 / 7) - 80 ** (1 / 7))) ** 7  # rho 7: i / (N - 1) = 1/2
    assert math.isclose(float(edm_sigmas(3)[1]), middle, rel_tol=1e-9)


def test_heun_at_35_nfe_reproduces_the_mixture():
    x, info = heun(exact_denoiser, noise(8000, 0), 18)
    assert info["nfe"] == 35
    shares = torch.bincount(torch.cdist(x, MEANS).argmin(1), minlength=4).double() / len(x)
    assert (shares - WEIGHTS).abs().max() < 0.03, shares  # 1 % of a component lies nearer another mean
    for dim in range(2):  # on 2000 samples the test at 1 % detects a CDF distance of 0.036
        assert kstest(x[:2000, dim].numpy(), lambda v: mixture_cdf(v, dim)).pvalue > 0.01


def test_heun_error_falls_faster_with_steps_than_euler():
    """Against a 1000-step Heun solution of the same ODE from the same noise: Euler is first order, Heun second."""
    z = noise(500, 1)
    reference, _ = heun(exact_denoiser, z, 1000)
    errors = {name: [float((sampler(exact_denoiser, z, n)[0] - reference).norm(dim=1).mean()) for n in (16, 32, 64)]
              for name, sampler in (("euler", euler), ("heun", heun))}
    ratio = {name: e[0] / e[-1] for name, e in errors.items()}  # how much 4x the steps cut the error
    assert ratio["heun"] > 2 * ratio["euler"], errors
    assert all(h < e for h, e in zip(errors["heun"], errors["euler"])), errors


def test_churn_adds_noise_and_counts_the_same_evaluations():
    z = noise(200, 2)
    x0, _ = heun(exact_denoiser, z, 10)
    x1, info = heun(exact_denoiser, z, 10, churn=10.0, generator=torch.Generator().manual_seed(0))
    x2, _ = heun(exact_denoiser, z, 10, churn=10.0, generator=torch.Generator().manual_seed(0))
    assert info["nfe"] == 19 and torch.equal(x1, x2) and not torch.allclose(x0, x1)


def test_euler_nfe_one_step_and_registry():
    x, info = euler(exact_denoiser, noise(10, 3), 1)
    assert info["nfe"] == 1
    assert torch.allclose(x, exact_denoiser(80 * noise(10, 3), torch.full((10,), 80.0, dtype=torch.float64)))
    assert DIFFUSION_SAMPLERS.get("heun") is heun
    with pytest.raises(ConfigError, match="steps"):
        heun(exact_denoiser, noise(2, 0), 0)


def test_the_nfe_stated_before_sampling_is_what_the_sampler_counts():
    for steps in (1, 2, 4, 18):
        for name in ("heun", "euler"):
            _, info = DIFFUSION_SAMPLERS.get(name)(exact_denoiser, noise(3, 4), steps)
            assert sampler_nfe(name, steps) == info["nfe"]
    assert [sampler_nfe("heun", n) for n in (1, 2, 4, 18)] == [1, 3, 7, 35]
    with pytest.raises(ConfigError, match="heun or euler"):
        sampler_nfe("dpm", 4)
