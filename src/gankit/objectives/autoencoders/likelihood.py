"""Log-likelihood by importance sampling (Burda et al. 2015, IWAE; Su kexue.fm/archives/8791) and the units of
docs/benchmarks.md section 7: nats per sample and bits per dimension, discrete data bounded by uniform dequantization.

log p(x) ~ logsumexp_k [log p(x|z_k) + log p(z_k) - log q(z_k|x)] - log K, z_k ~ q(z|x): a lower bound in
expectation that rises to log p(x) as K grows; K = 1 gives the ELBO.
"""
from __future__ import annotations

import math
from typing import Mapping

import torch
from torch import nn

from ...errors import ConfigError
from .vae import dequantize

ROWS_PER_FORWARD = 65536  # decoder rows (samples x items) per chunk: bounds memory for K in the thousands


@torch.no_grad()
def importance_log_likelihood(objective, nets: Mapping[str, nn.Module], x: torch.Tensor, samples: int,
                              generator: torch.Generator | None = None,
                              rows: int = ROWS_PER_FORWARD) -> tuple[torch.Tensor, torch.Tensor]:
    """(log p(x) estimate [N], ELBO estimate [N]) with `samples` posterior draws per item, chunked over items
    and draws so that one decoder call sees at most `rows` rows."""
    estimates, elbos = [], []
    per_item = max(1, min(samples, rows))
    items = max(1, rows // per_item)
    for part in x.split(items):
        weights = torch.cat([objective.log_weights(part, nets, min(per_item, samples - k), generator)
                             for k in range(0, samples, per_item)])  # [K, n]
        estimates.append(torch.logsumexp(weights.double(), 0) - math.log(samples))
        elbos.append(weights.double().mean(0))
    return torch.cat(estimates), torch.cat(elbos)


def grid_spacing(x: torch.Tensor, max_levels: int = 256) -> float:
    """The spacing of the value grid when x takes at most max_levels evenly spaced values (discrete pixels),
    else 0 (continuous data)."""
    values = torch.unique(x.double())
    if len(values) < 2 or len(values) > max_levels:
        return 0.0
    step = float(values.diff().min())
    steps = (values - values[0]) / step
    return step if bool((steps - steps.round()).abs().max() < 1e-3) else 0.0


def check_likelihood_applies(exp) -> None:
    """A ConfigError unless the run's objective has a tractable density with a gaussian decoder (cheap: called
    before the held-out data is read)."""
    if not hasattr(exp.objective, "log_weights"):
        raise ConfigError(f"this run's objective {exp.cfg.objective.name!r} has no tractable density; "
                          "--likelihood needs a vae run")
    if getattr(exp.objective, "decoder", "gaussian") != "gaussian":
        raise ConfigError("--likelihood needs a gaussian decoder (a bernoulli decoder is a likelihood of binary data)")


def likelihood_report(exp, x: torch.Tensor, samples: int, seed: int = 0, use_ema: bool = True) -> dict:
    """Negative log-likelihood of held-out x in nats per sample and bits per dimension. Discrete data (a grid
    of spacing delta) is dequantized, x + (u - 1/2) delta, and NLL = -log p(x + u') - D log delta bounds the
    discrete NLL from above (docs/benchmarks.md section 7, in the data's own coordinates); the ELBO beside it."""
    check_likelihood_applies(exp)
    generator = torch.Generator().manual_seed(seed)
    delta = grid_spacing(x)
    x_in = dequantize(x, delta, generator).to(exp.device)
    nets = exp.networks(use_ema)
    from ..base import evaluating

    with evaluating(*nets.values()):
        log_px, elbo = importance_log_likelihood(exp.objective, nets, x_in, samples, generator)
    dims = x[0].numel()
    correction = -dims * math.log(delta) if delta else 0.0
    nll, nelbo = float(-log_px.mean()) + correction, float(-elbo.mean()) + correction
    return {"nll_nats": nll, "bits_per_dim": nll / (dims * math.log(2)), "neg_elbo_nats": nelbo,
            "samples": samples, "items": len(x), "dims": dims, "grid_spacing": delta,
            "units": (f"discrete data on a grid of spacing {delta:g}: uniform dequantization bound, "
                      f"-log p(x + (u - 1/2) {delta:g}) + {dims} log(1/{delta:g})") if delta else "continuous density"}
