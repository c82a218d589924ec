"""Quantizers: decode(indices) == quantized (with the codebook before a training step's update), FSQ's codes,
straight-through and rotation gradients, the EMA codebook and dead-code replacement, parametrised over their
options."""
import itertools
import math

import pytest
import torch
from torch.testing import assert_close

from gankit.nn.quantizers import FSQ, QUANTIZERS, VectorQuantizer, build_quantizer, perplexity, rotate_to
from gankit.errors import ConfigError

VQ_OPTIONS = [dict(gradient=g, ema_decay=e, dead_code_threshold=t)
              for g, e, t in itertools.product(["ste", "rotation"], [0.0, 0.9], [0.0, 0.5])]


@pytest.mark.parametrize("options", VQ_OPTIONS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
@pytest.mark.parametrize("training", [True, False])
def test_vq_decode_of_indices_is_the_quantized_output(options, training):
    torch.manual_seed(0)
    vq = VectorQuantizer(dim=4, codebook_size=32, **options).train(training)
    z = torch.randn(6, 5, 4, requires_grad=True)
    codebook = vq.codebook.detach().clone()  # training moves it after the lookup; the output is read before
    quantized, indices, aux = vq(z)
    assert quantized.shape == z.shape and indices.shape == (6, 5) and aux.dim() == 0
    assert_close(quantized, torch.nn.functional.embedding(indices, codebook), rtol=1e-5, atol=1e-5)
    if not training:
        assert_close(quantized, vq.decode(indices), rtol=1e-5, atol=1e-5)
    quantized.sum().backward()
    assert z.grad is not None and torch.isfinite(z.grad).all()


@pytest.mark.parametrize("levels", [[8, 6, 5], [8, 5, 5, 5], [2, 3], [7, 5, 5, 5, 5]])
def test_fsq_codes_are_the_product_of_levels_and_all_reachable(levels):
    fsq = FSQ(len(levels), levels)
    assert fsq.codebook_size == math.prod(levels)
    # every level of every channel: the input whose bounded value is exactly that integer
    grids = []
    for L, half_l, offset in zip(fsq.L.tolist(), fsq.half_l.tolist(), fsq.offset.tolist()):
        ints = torch.arange(L) - L // 2
        shift = math.atanh(offset / half_l)
        grids.append(torch.atanh((ints + offset) / half_l) - shift)
    z = torch.cartesian_prod(*grids).view(-1, len(levels))
    quantized, indices, aux = fsq(z)
    assert sorted(indices.tolist()) == list(range(fsq.codebook_size))
    assert_close(fsq.decode(indices), quantized)
    assert float(aux) == 0.0
    # random inputs land on codes too, in [-1, 1], and decode(indices) reproduces them
    quantized, indices, _ = fsq(3 * torch.randn(500, len(levels)))
    assert quantized.abs().max() <= 1.0 and indices.min() >= 0 and indices.max() < fsq.codebook_size
    assert_close(fsq.decode(indices), quantized)


def test_fsq_bound_is_centred_and_the_papers_tan_is_not():
    """b(0) = 0 for even and odd L with atanh and (1 + eps); the listing's tan(offset / half_l) misses 0 for even
    L (visibly at L = 2), and with its (1 - eps) the atanh would be undefined at L = 2."""
    fsq = FSQ(4, [2, 4, 8, 5])
    assert_close(fsq.bound(torch.zeros(4)), torch.zeros(4), atol=1e-6, rtol=0)
    half_l, offset = fsq.half_l, fsq.offset
    with_tan = torch.tanh(torch.tan(offset / half_l)) * half_l - offset
    assert with_tan[0].abs() > 0.01 and with_tan[3] == 0  # L = 2 off centre; odd L has no offset
    half_l_minus = (fsq.L - 1) * (1 - 1e-3) / 2
    assert torch.isnan(torch.atanh(offset / half_l_minus)[0])


def test_fsq_straight_through_gradient_is_the_bound_derivative():
    fsq = FSQ(3, [8, 6, 5])
    z = torch.randn(10, 3, requires_grad=True)
    fsq(z)[0].sum().backward()
    shift = torch.atanh(fsq.offset / fsq.half_l)
    expected = (1 - torch.tanh(z.detach() + shift) ** 2) * fsq.half_l / fsq.half_width
    assert_close(z.grad, expected)


def test_straight_through_passes_the_gradient_unchanged():
    vq = VectorQuantizer(dim=3, codebook_size=8, gradient="ste")
    z = torch.randn(7, 3, requires_grad=True)
    g = torch.randn(7, 3)
    quantized, _, _ = vq(z)
    (quantized * g).sum().backward()
    assert_close(z.grad, g)


def test_rotation_maps_e_onto_q_and_rotates_the_gradient_by_the_same_map():
    torch.manual_seed(1)
    e, q, g = torch.randn(16, 5, requires_grad=True), torch.randn(16, 5), torch.randn(16, 5)
    out = rotate_to(e, q)
    assert_close(out, q, rtol=1e-5, atol=1e-5)
    (out * g).sum().backward()
    for i in range(16):
        e_hat, q_hat = e[i].detach() / e[i].norm(), q[i] / q[i].norm()
        r = (e_hat + q_hat) / (e_hat + q_hat).norm()
        R = torch.eye(5) - 2 * torch.outer(r, r) + 2 * torch.outer(q_hat, e_hat)  # the paper's R
        scale = q[i].norm() / e[i].norm()
        assert_close(R @ R.T, torch.eye(5), atol=1e-5, rtol=0)  # a rotation
        assert_close(R @ e_hat, q_hat, atol=1e-5, rtol=0)        # taking e_hat onto q_hat
        assert_close(e.grad[i], scale * R.T @ g[i], atol=1e-5, rtol=1e-5)
        # so the angle between the gradient and e equals the one between the incoming gradient and q
        cos_in = torch.dot(g[i], q_hat) / g[i].norm()
        cos_out = torch.dot(e.grad[i], e_hat) / e.grad[i].norm()
        assert_close(cos_out, cos_in, atol=1e-5, rtol=0)


def test_vq_with_rotation_returns_the_codes_and_rotated_gradients():
    vq = VectorQuantizer(dim=4, codebook_size=8, gradient="rotation")
    z = torch.randn(9, 4, requires_grad=True)
    quantized, indices, _ = vq(z)
    assert_close(quantized, vq.decode(indices), rtol=1e-5, atol=1e-5)
    g = torch.randn(9, 4)
    (quantized * g).sum().backward()
    ratio = vq.decode(indices).norm(dim=1) / z.detach().norm(dim=1)
    assert_close(z.grad.norm(dim=1), ratio * g.norm(dim=1), rtol=1e-4, atol=1e-5)  # norms scale by ||q|| / ||e||


def test_vq_losses_train_the_codebook_and_the_encoder_apart():
    """aux = ||sg(z) - q||^2 + beta ||z - sg(q)||^2: the codebook term moves only the codes, beta only z."""
    vq = VectorQuantizer(dim=2, codebook_size=4, beta=0.25)
    z = torch.randn(50, 2, requires_grad=True)
    quantized, indices, aux = vq(z)
    q = vq.decode(indices).detach()
    assert_close(aux, ((q - z.detach()) ** 2).mean() * 1.25)
    aux.backward()
    assert_close(z.grad, 0.25 * 2 * (z.detach() - q) / z.numel())
    assert vq.codebook.grad is not None and vq.codebook.grad.abs().sum() > 0


def test_ema_codebook_moves_used_codes_towards_their_vectors_and_leaves_others():
    vq = VectorQuantizer(dim=2, codebook_size=3, ema_decay=0.5, eps=1e-5)
    with torch.no_grad():  # a codebook of our choosing; the statistics keep their initial counts (one use each)
        vq.codebook.copy_(torch.tensor([[0.0, 0.0], [10.0, 10.0], [-10.0, 10.0]]))
        vq.embed_sum.copy_(vq.codebook)
    z = torch.tensor([[1.0, 0.0], [1.0, 2.0]])  # both nearest to code 0; mean (1, 1)
    before = vq.codebook.clone()
    _, indices, aux = vq(z)
    assert indices.tolist() == [0, 0]
    # N_0 = 0.5 + 0.5 * 2 = 1.5, m_0 = 0.5 * 0 + 0.5 * (2, 2) = (1, 1) -> e_0 ~ (2/3, 2/3) up to smoothing
    assert_close(vq.codebook[0], torch.tensor([2 / 3, 2 / 3]), rtol=1e-3, atol=1e-3)
    # unused codes: N halves, m halves, so e stays (up to the Laplace smoothing)
    assert_close(vq.codebook[1:], before[1:], rtol=1e-3, atol=1e-3)
    assert isinstance(vq.codebook, torch.Tensor) and not isinstance(vq.codebook, torch.nn.Parameter)
    # commitment only (no codebook loss with EMA), to the code the rows were matched to (before the update)
    assert_close(aux, 0.25 * ((z - before[0]) ** 2).mean())


def test_a_fresh_ema_codebook_keeps_the_codes_a_step_did_not_use():
    torch.manual_seed(0)
    vq = VectorQuantizer(dim=3, codebook_size=64, ema_decay=0.99)
    before = vq.codebook.clone()
    _, indices, _ = vq(torch.randn(8, 3))
    unused = torch.ones(64, dtype=torch.bool)
    unused[indices] = False
    assert_close(vq.codebook[unused], before[unused], rtol=0.05, atol=1e-3)  # no blow-up of idle codes


def test_eval_mode_changes_no_statistics():
    vq = VectorQuantizer(dim=2, codebook_size=4, ema_decay=0.9, dead_code_threshold=0.5).eval()
    state = {k: v.clone() for k, v in vq.statistics().items()}
    codebook = vq.codebook.clone()
    vq(torch.randn(20, 2))
    assert_close(vq.codebook, codebook)
    for key, value in vq.statistics().items():
        assert_close(value, state[key])


@pytest.mark.parametrize("ema_decay", [0.0, 0.9])
def test_dead_codes_are_replaced_by_batch_vectors_and_live_ones_kept(ema_decay):
    torch.manual_seed(0)
    vq = VectorQuantizer(dim=2, codebook_size=4, ema_decay=ema_decay, dead_code_threshold=0.5, usage_decay=0.0)
    with torch.no_grad():
        vq.codebook.copy_(torch.tensor([[0.0, 0.0], [100.0, 100.0], [-100.0, 100.0], [100.0, -100.0]]))
        vq.embed_sum.copy_(vq.codebook)
        vq.cluster_size.fill_(1.0)
    z = 0.1 * torch.randn(30, 2)  # all nearest to code 0: codes 1..3 are dead after one step
    vq(z)
    for code in vq.codebook[1:]:  # each dead code moved onto a vector of the batch
        assert torch.isclose(code, z).all(1).any()
    assert vq.codebook[0].abs().max() < 1  # the live code stays near the data


def test_perplexity_and_usage():
    value, usage = perplexity(torch.tensor([0, 1, 2, 3]), 8)
    assert_close(value, torch.tensor(4.0))
    assert_close(usage, torch.tensor(0.5))
    value, usage = perplexity(torch.tensor([5, 5, 5]), 8)
    assert_close(value, torch.tensor(1.0))


def test_registry_and_option_errors():
    assert set(QUANTIZERS.names()) == {"vq", "fsq"}
    with pytest.raises(ConfigError, match="did you mean 'fsq'"):
        QUANTIZERS.get("fsqq")
    with pytest.raises(ConfigError, match="code dimension 4 must equal"):
        build_quantizer("fsq", 4, {"levels": [8, 6, 5]})
    with pytest.raises(ConfigError, match="choose ste or rotation"):
        build_quantizer("vq", 4, {"gradient": "rotate"})
    with pytest.raises(ConfigError, match="unknown option"):
        build_quantizer("vq", 4, {"codebook": 3})


def run_steps_against_the_codebook_before_each(vq: VectorQuantizer, steps: int, rows: int, seed: int):
    """Training steps on fresh batches; yields (z, quantized, codebook before the step, indices, aux) per step."""
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        z = torch.randn(rows, vq.dim, generator=g).requires_grad_(True)
        before = vq.codebook.detach().clone()
        quantized, indices, aux = vq(z)
        yield z, quantized, before, indices, aux


@pytest.mark.parametrize("gradient", ["ste", "rotation"])
@pytest.mark.parametrize("ema_decay", [0.0, 0.99])
def test_with_dead_code_replacement_every_row_outputs_the_code_it_was_matched_to(gradient, ema_decay):
    """As vector-quantize-pytorch and Sonnet's VectorQuantizerEMA: the output is the code each row was matched to
    before this step's EMA update and dead-code replacement, so a row whose code is replaced in the step still
    outputs its own code (not the random batch vector that replaces it); the gradients are those of that code."""
    torch.manual_seed(0)
    vq = VectorQuantizer(dim=4, codebook_size=64, gradient=gradient, ema_decay=ema_decay, dead_code_threshold=2.0)
    replaced_rows = 0
    for z, quantized, before, indices, _ in run_steps_against_the_codebook_before_each(vq, 20, 256, seed=1):
        distances = (z.detach().double()[:, None] - before.double()[None]).pow(2).sum(-1)  # [rows, codes]
        assert_close(distances.gather(1, indices[:, None]).squeeze(1), distances.min(1).values, rtol=1e-5, atol=1e-6)
        assert_close(quantized, before[indices], rtol=1e-5, atol=1e-6)
        replaced_rows += int((vq.codebook[indices] != before[indices]).any(1).sum())
        g = torch.randn_like(z)
        (quantized * g).sum().backward()
        expected = g.clone() if gradient == "ste" else None
        if gradient == "rotation":
            e = z.detach().clone().requires_grad_(True)
            (rotate_to(e, before[indices]) * g).sum().backward()
            expected = e.grad
        assert_close(z.grad, expected, rtol=1e-5, atol=1e-6)
    assert replaced_rows > 500  # the case at stake happened: rows whose code moved within their own step


def test_ema_outputs_are_the_codes_before_the_update_and_the_commitment_is_to_them():
    torch.manual_seed(0)
    vq = VectorQuantizer(dim=3, codebook_size=16, ema_decay=0.9, beta=0.25)
    for z, quantized, before, indices, aux in run_steps_against_the_codebook_before_each(vq, 5, 64, seed=2):
        assert_close(quantized, before[indices], rtol=1e-5, atol=1e-6)
        assert (vq.codebook[indices] - before[indices]).abs().max() > 1e-3  # the update did move the codes
        # commitment only (no codebook loss with EMA), to the codes the rows were matched to
        assert_close(aux, 0.25 * ((z.detach() - before[indices]) ** 2).mean(), rtol=1e-4, atol=1e-6)
