"""gankit's ReLU and LeakyReLU under constant_slopes(): the same values and gradients, and a penalty's double
backward that no longer walks back through the critic's forward pass."""
import contextlib

import pytest
import torch

from gankit.data import DataSpec
from gankit.nn import DISCRIMINATORS, build_network
from gankit.nn.activations import LeakyReLU, ReLU, constant_slopes
from gankit.objectives import encoder_gans, meg, penalties


@pytest.mark.parametrize("module", [ReLU(), LeakyReLU(0.2)], ids=["relu", "leaky_relu"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_values_and_first_derivatives_are_the_modules_own(module, dtype):
    x = torch.randn(64, 9).to(dtype)
    x[0, :3] = 0.0  # the kink: both forms take the x <= 0 branch there
    x[1, :4] = torch.tensor([float("nan"), float("inf"), -float("inf"), -0.0])
    outs, grads = [], []
    for mode in (contextlib.nullcontext, constant_slopes):
        leaf = x.clone().requires_grad_(True)
        with mode():
            y = module(leaf)
        (g,) = torch.autograd.grad(y, leaf, torch.linspace(-1, 1, y.numel()).view_as(y).to(dtype))
        outs.append(y.detach())
        grads.append(g)
    assert outs[1].dtype == dtype
    exactly = {"rtol": 0, "atol": 0, "equal_nan": True}  # NaN where NaN; -0.0 may come out as +0.0, an equal number
    torch.testing.assert_close(outs[1], outs[0], **exactly)
    torch.testing.assert_close(grads[1], grads[0], **exactly)


@pytest.mark.parametrize("module", [ReLU(), LeakyReLU(0.2)], ids=["relu", "leaky_relu"])
def test_derivatives_up_to_the_third_are_right_under_constant_slopes(module):
    """Numerical checks in float64 of f(x) = act(x)^3 / 3: its gradient, its second derivative, and the third
    (through the gradient of f' with create_graph), away from the kink where they exist."""
    x = torch.randn(12, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    x = (x + 0.2 * x.sign()).requires_grad_(True)

    def f(t):
        with constant_slopes():
            return module(t) ** 3 / 3

    def f_prime(t):
        (g,) = torch.autograd.grad(f(t).sum(), t, create_graph=True)
        return g

    assert torch.autograd.gradcheck(f, (x,))
    assert torch.autograd.gradgradcheck(f, (x,))
    assert torch.autograd.gradgradcheck(f_prime, (x,))


def test_the_mode_is_scoped_and_restored():
    leaf = torch.randn(5, requires_grad=True)
    with constant_slopes():
        with constant_slopes():
            pass
        inside = ReLU()(leaf)
    outside = ReLU()(leaf)
    assert type(inside.grad_fn).__name__.startswith("ThresholdBackwardBackward")
    assert type(outside.grad_fn).__name__.startswith("Relu")


def python_nodes(root) -> list[str]:
    """Names of the autograd nodes below root that are Python Functions (each costs Python per call)."""
    seen, stack, found = set(), [root], []
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if isinstance(node, torch.autograd.function.BackwardCFunction):
            found.append(type(node).__name__)
        stack.extend(next_node for next_node, _ in node.next_functions)
    return found


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_a_penalty_graph_under_constant_slopes_has_only_native_nodes(activation):
    D = build_network(DISCRIMINATORS, "mlp", {"hidden": 16, "activation": activation}, "D",
                      spec=DataSpec("t", (2,)), z_dim=2)
    x = torch.randn(8, 2).requires_grad_(True)
    with constant_slopes():
        out = D(x).sum()
    (grad,) = torch.autograd.grad(out, x, create_graph=True)
    penalty = ((grad.norm(dim=1) - 1.0) ** 2).mean()
    assert python_nodes(out.grad_fn) == []
    assert python_nodes(penalty.grad_fn) == []


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


def recording_modes(modes: list):
    """A critic of (x) or (x, z) that records whether constant slopes were on when it was called."""
    critic = build_network(DISCRIMINATORS, "mlp", {"hidden": 8}, "D", spec=DataSpec("t", (2,)), z_dim=2)

    def D(x, z=None):
        from gankit.nn.activations import _MODE

        modes.append(_MODE.constant)
        return critic(x if z is None else x + z)

    return D


@pytest.mark.parametrize("penalty", [
    lambda D, x: penalties.gradient_penalty(D, x, torch.randn(4, 2)),
    lambda D, x: meg.score_penalty(D, x),
    lambda D, x: encoder_gans.joint_gradient_norm2(D, x, torch.randn(4, 2)),
], ids=["gradient_penalty", "meg_score_penalty", "joint_gradient_norm2"])
def test_gankit_penalties_score_their_points_with_constant_slopes(penalty):
    modes = []
    penalty(recording_modes(modes), torch.randn(4, 2)).mean().backward()
    assert modes == [True]
