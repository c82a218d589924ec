"""Estimates of a critic's Lipschitz constant: gradient norms where the penalties look (real, generated,
interpolated samples) from below, and the product of per-layer operator norms from above."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ..nn.sngan import DownBlock, ResidualMLPBlock, UpBlock
from ..objectives.penalties import input_gradient_norm, interpolate

RESIDUAL_BLOCKS = (UpBlock, DownBlock, ResidualMLPBlock)  # gankit's blocks with a skip connection

LINEAR_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
ONE_LIPSCHITZ = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Identity, nn.Flatten, nn.AvgPool2d)
NO_GLOBAL_BOUND = (nn.LayerNorm, nn.GroupNorm, nn.InstanceNorm1d, nn.InstanceNorm2d, _BatchNorm)
QUANTILES = (0.5, 0.9, 0.99)


@dataclass
class LipschitzReport:
    norms: dict[str, torch.Tensor]         # set name -> ||grad_x D|| per sample
    layers: list[tuple[str, float]]        # (module name, operator norm at the input shape it sees)
    product: float                         # product of the layers' operator norms
    bound_caveats: list[str] = field(default_factory=list)  # why the product is not a bound, if it is not

    @property
    def is_bound(self) -> bool:
        return not self.bound_caveats

    def stats(self) -> dict[str, dict[str, float]]:
        out = {}
        for name, v in self.norms.items():
            q = torch.quantile(v.double(), torch.tensor(QUANTILES, dtype=torch.float64))
            out[name] = {"mean": float(v.mean()), **{f"p{round(100 * p)}": float(x) for p, x in zip(QUANTILES, q)},
                         "max": float(v.max())}
        return out


def gradient_norms(D: nn.Module, x: torch.Tensor, chunk: int = 512) -> torch.Tensor:
    """||grad_x D(x)|| per sample, without building a graph for the weights."""
    return torch.cat([input_gradient_norm(D, part).detach() for part in x.split(chunk)])


def operator_norm(layer: nn.Module, input_shape: tuple[int, ...], iterations: int = 2000, tol: float = 1e-7) -> float:
    """sigma_max of the layer's linear part x -> layer(x) - layer(0) on inputs of one sample's shape. Linear
    layers: exact (matrix 2-norm of the weight in use). Convolutions: power iteration with J^T J through
    autograd until sigma changes by < tol (relative); this is the conv's true operator norm, which can
    exceed the norm of the reshaped kernel that spectral normalization divides by."""
    if isinstance(layer, nn.Linear):
        return float(torch.linalg.matrix_norm(layer.weight.detach().double(), 2))
    weight = next(layer.parameters())
    v = torch.randn(1, *input_shape, generator=torch.Generator().manual_seed(0)).to(weight)
    with torch.no_grad():
        offset = layer(torch.zeros_like(v))
    sigma = 0.0
    for _ in range(iterations):
        v = (v / v.norm()).requires_grad_(True)
        out = layer(v) - offset
        (v,) = torch.autograd.grad(out, v, grad_outputs=out.detach())  # J^T J v, norm sigma^2 at convergence
        previous, sigma = sigma, float(v.norm()) ** 0.5
        if abs(sigma - previous) <= tol * sigma:
            break
    return sigma


def layer_operator_norms(D: nn.Module, example: torch.Tensor) -> list[tuple[str, float]]:
    """(name, operator norm) of every linear / conv layer, at the input shapes one forward of `example` shows."""
    shapes: dict[str, tuple[int, ...]] = {}

    def remember(name):
        def hook(module, inputs, output):  # returns None: the output is left alone
            shapes.setdefault(name, tuple(inputs[0].shape[1:]))
        return hook

    hooks = [m.register_forward_hook(remember(name)) for name, m in D.named_modules() if isinstance(m, LINEAR_LAYERS)]
    try:
        with torch.no_grad():
            D(example[:1])
    finally:
        for h in hooks:
            h.remove()
    modules = dict(D.named_modules())
    return [(name, operator_norm(modules[name], shape)) for name, shape in shapes.items()]


def bound_caveats(D: nn.Module) -> list[str]:
    """Why the product of layer norms would not bound D: layers that are not 1-Lipschitz, or skips."""
    out = set()
    for name, m in D.named_modules():
        if ".parametrizations." in f".{name}.":
            continue  # spectral norm's own modules: part of the layer they normalise
        if isinstance(m, NO_GLOBAL_BOUND):
            out.add(f"{type(m).__name__} has no global Lipschitz bound")
        elif isinstance(m, RESIDUAL_BLOCKS):  # x + f(x) is not a chain of layers
            out.add(f"{type(m).__name__} adds a skip connection, so the chain product does not hold")
        elif not list(m.children()) and not isinstance(m, LINEAR_LAYERS + ONE_LIPSCHITZ):
            out.add(f"{type(m).__name__} is not known to be 1-Lipschitz")
    return sorted(out)


def inspect_lipschitz(D: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> LipschitzReport:
    """Gradient norms on real, generated and interpolated samples, and the layer-norm product, with D in
    eval mode (no power-iteration step, no BatchNorm statistics update)."""
    was_training = D.training
    D.eval()
    try:
        norms = {"real": gradient_norms(D, real), "generated": gradient_norms(D, fake),
                 "interpolated": gradient_norms(D, interpolate(real, fake))}
        layers = layer_operator_norms(D, real)
    finally:
        D.train(was_training)
    product = 1.0
    for _, sigma in layers:
        product *= sigma
    return LipschitzReport(norms, layers, product, bound_caveats(D))


def plot_gradient_norms(report: LipschitzReport, path: Path, title: str) -> Path:
    """Histogram of the gradient norms of the three sets, with 1 and the layer-norm bound marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..files import write_atomic

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=100)
    top = max(float(v.max()) for v in report.norms.values())
    bins = torch.linspace(0, max(top, 1.0) * 1.05, 60).numpy()
    for name, v in report.norms.items():
        ax.hist(v.numpy(), bins=bins, alpha=0.5, label=f"{name} (max {float(v.max()):.3g})")
    ax.axvline(1.0, color="black", linestyle="--", linewidth=1, label="1")
    kind = "upper bound" if report.is_bound else "layer-norm product (not a bound)"
    if report.product <= 1.5 * max(top, 1.0):
        ax.axvline(report.product, color="red", linewidth=1, label=f"{kind} {report.product:.3g}")
    else:  # a line that far right would squash the histograms: name the value in the legend only
        ax.plot([], [], " ", label=f"{kind} {report.product:.3g} (off the chart)")
    ax.set_xlabel("||grad_x D(x)||")
    ax.set_ylabel("samples")
    ax.set_title(title)
    ax.legend()
    write_atomic(Path(path), lambda tmp: fig.savefig(tmp, format="png", bbox_inches="tight"))
    plt.close(fig)
    return Path(path)
