"""gankit's ReLU and LeakyReLU under constant_slopes(): the same values and gradients, and a penalty's double
backward that no longer walks back through the critic's forward pass."""
import contextlib

import pytest
import torch

from gankit.data import DataSpec
from gankit.nn import DISCRIMINATORS, build_network
from gankit.nn.activations import LeakyReLU, ReLU, constant_slopes
from gankit.objectives import penalties


@pytest.mark.parametrize("module", [ReLU(), LeakyReLU(0.2)], ids=["relu", "leaky_relu"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_values_and_first_derivatives_are_the_modules_own(module, dtype):
    x = torch.randn(64, 9).to(dtype)
    x[0, :3] = 0.0  # the kink: both forms take the x <= 0 branch there
    outs, grads = [], []
    for mode in (contextlib.nullcontext, constant_slopes):
        leaf = x.clone().requires_grad_(True)
        with mode():
            y = module(leaf)
        (g,) = torch.autograd.grad(y, leaf, torch.linspace(-1, 1, y.numel()).view_as(y).to(dtype))
        outs.append(y.detach())
        grads.append(g)
    assert outs[1].dtype == dtype
    assert torch.equal(outs[0], outs[1]) and torch.equal(grads[0], grads[1])


def test_the_mode_is_scoped_and_restored():
    leaf = torch.randn(5, requires_grad=True)
    with constant_slopes():
        with constant_slopes():
            pass
        inside = ReLU()(leaf)
    outside = ReLU()(leaf)
    assert type(inside.grad_fn).__name__.startswith("Where")
    assert type(outside.grad_fn).__name__.startswith("Relu") or "Threshold" in type(outside.grad_fn).__name__


COSTLY = ("aten::mm", "aten::addmm", "aten::convolution_backward")  # what a walk back through D's layers runs


def penalty_backward(D, x, mode):
    """(how many matrix products and convolution backwards the penalty's weight gradient ran, the gradients)."""
    from torch.profiler import profile

    x = x.clone().requires_grad_(True)
    with mode():
        out = D(x).sum()
    (grad,) = torch.autograd.grad(out, x, create_graph=True)
    penalty = ((grad.flatten(1).norm(dim=1) - 1.0) ** 2).mean()
    params = list(D.parameters())
    with profile() as prof:
        penalty.backward(inputs=params)
    costly = sum(event.count for event in prof.key_averages() if event.key in COSTLY)
    return costly, [torch.zeros_like(p) if p.grad is None else p.grad for p in params]  # the last bias: unused


@pytest.mark.parametrize("name,options,shape,skipped", [
    ("mlp", {"hidden": 32, "activation": "relu"}, (2,), 5),  # 3 weight and 2 input products of 3 hidden layers
    ("mlp", {"hidden": 32}, (2,), 5),  # leaky_relu, the MLP critic's default
    ("dcgan", {"width": 16, "norm": "none"}, (1, 16, 16), 2),  # one convolution backward per layer under it
    ("sngan-cnn", {"width": 16}, (1, 16, 16), 5),
    # a normalisation's derivative depends on its input: the forward pass is walked, rightly, whatever the mode
    ("dcgan", {"width": 16, "norm": "layer"}, (1, 16, 16), 0),
], ids=["mlp-relu", "mlp-leaky", "dcgan", "sngan-cnn", "dcgan-layernorm"])
def test_the_penalty_backward_skips_a_pass_of_zeros_with_the_same_gradients(name, options, shape, skipped):
    D = build_network(DISCRIMINATORS, name, options, "D", spec=DataSpec("t", shape, bounded=True), z_dim=4)
    x = torch.randn(8, *shape, generator=torch.Generator().manual_seed(0))
    native, weights = penalty_backward(D, x, contextlib.nullcontext)
    D.zero_grad(set_to_none=True)
    constant, constant_weights = penalty_backward(D, x, constant_slopes)
    assert native - constant == skipped
    assert all(torch.equal(a, b) for a, b in zip(weights, constant_weights))


def test_gankit_penalties_score_their_points_with_constant_slopes(monkeypatch):
    modes = []
    critic = build_network(DISCRIMINATORS, "mlp", {"hidden": 8}, "D", spec=DataSpec("t", (2,)), z_dim=2)

    def D(x):
        from gankit.nn.activations import _MODE

        modes.append(_MODE.constant)
        return critic(x)

    penalties.gradient_penalty(D, torch.randn(4, 2), torch.randn(4, 2)).mean().backward()
    assert modes == [True]
