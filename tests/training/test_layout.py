"""train.channels_last: conv networks and image batches in channels-last order train to the same weights as
the default layout (up to float rounding), and resume bit for bit."""
import numpy as np
import pytest
import torch
from PIL import Image

from gankit.recipes import recipe_config
from gankit.training.layout import match_layout

from .test_trainer import assert_bit_identical, full_state, loss_lines, make_trainer

CL = torch.channels_last
RTOL, ATOL = 1e-4, 1e-5  # kernels for the two layouts sum in other orders: rounding alone (measured: below 1e-6)
# Compared under SGD, whose update is linear in the gradient: Adam's g / sqrt(v) turns the rounding noise of a
# gradient that is 0 in exact arithmetic (a conv bias before BatchNorm) into a step of lr either way.
SGD = ["optim.G.name=sgd", "optim.G.momentum=0.9", "optim.G.lr=0.01", "optim.D.name=sgd", "optim.D.momentum=0.9",
       "optim.D.lr=0.01"]


def rgb_folder(tmp_path, n=64, side=32):
    """A folder of n random 32x32 RGB pictures (smooth blobs, so the networks see structure)."""
    root = tmp_path / "rgb"
    root.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        small = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
        Image.fromarray(small).resize((side, side), Image.BILINEAR).save(root / f"{i:03d}.png")
    return f"folder:{root}"


def sngan_recipe(data, tmp_path, *overrides):
    """The sngan recipe (hinge, spectral norm on D, Adam) on 32x32 RGB images, made small."""
    return recipe_config("sngan", overrides=[
        f"data.name={data}", "data.batch_size=16", "model.G.options.width=16", "model.D.options.width=16", "model.z_dim=16",
        "train.steps=3", "train.n_critic=2", "train.threads=1", "log.progress=false", "log.sample_every=0",
        "log.eval_every=0", "log.checkpoint_every=100", "log.num_samples=4", "log.eval_samples=20",
        f"out_dir={tmp_path / 'runs'}", *overrides])


def assert_close_weights(a, b):
    """Weights (entries up to ~0.2 here) and their EMA copies within the tolerance. (Not the momentum buffers: they
    hold the last step's gradients, which BatchNorm over a channel of near-zero variance makes ~1000x more
    sensitive to a rounding difference in the weights than the weights are; 0.4 % after 3 steps here.)"""
    assert a.keys() == b.keys()
    weights = [k for k in a if k.startswith(("net.", "ema")) and a[k].is_floating_point()]
    assert weights
    for key in weights:
        torch.testing.assert_close(b[key], a[key], rtol=RTOL, atol=ATOL, msg=key)


def test_channels_last_trains_to_the_same_weights(tmp_path):
    data = rgb_folder(tmp_path)
    default = make_trainer(sngan_recipe(data, tmp_path, *SGD), tmp_path / "default")
    default.fit()
    fast = make_trainer(sngan_recipe(data, tmp_path, *SGD, "train.channels_last=true"), tmp_path / "fast")
    convs = [p for p in fast.exp.objective.nets.parameters() if p.dim() == 4]
    assert convs and all(p.is_contiguous(memory_format=CL) and not p.is_contiguous() for p in convs)
    fast.fit()
    assert fast.next_batch(fast.phases[0]).x.is_contiguous(memory_format=CL)
    assert_close_weights(full_state(default), full_state(fast))
    for x, y in zip(loss_lines(tmp_path / "default"), loss_lines(tmp_path / "fast"), strict=True):
        for key in x:
            assert y[key] == pytest.approx(x[key], rel=RTOL, abs=1e-6), key


def test_resume_with_channels_last_is_bit_identical(tmp_path):
    """With Adam (fused): its moments must come back from the checkpoint in the weights' layout."""
    data = rgb_folder(tmp_path)
    config = lambda *o: sngan_recipe(data, tmp_path, "train.channels_last=true", "train.steps=4",  # noqa: E731
                                     "log.checkpoint_every=2", *o)
    straight = make_trainer(config(), tmp_path / "straight")
    straight.fit()
    make_trainer(config("train.steps=2"), tmp_path / "resumed").fit()
    resumed = make_trainer(config(), tmp_path / "resumed")
    resumed.resume()
    resumed.fit()
    assert_bit_identical(full_state(straight), full_state(resumed))


def test_restored_optimizer_state_takes_its_parameters_layout():
    """Fused Adam pairs a weight's entries with its moments' by memory position: a contiguous moment (as a
    checkpoint stores it) beside a channels-last weight would update the wrong entries."""
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(4, 3, 5, 5).contiguous(memory_format=CL))
    reference = torch.nn.Parameter(w.detach().clone())
    opts = [torch.optim.Adam([p], lr=0.1, fused=True) for p in (w, reference)]
    grads = torch.randn(3, 4, 3, 5, 5)
    for step, g in enumerate(grads):
        if step == 2:  # a resume: state saved contiguous, loaded back
            saved = opts[0].state_dict()
            saved["state"][0] = {k: v.contiguous() for k, v in saved["state"][0].items()}
            opts[0].load_state_dict(saved)
            match_layout(opts[0])
            assert opts[0].state[w]["exp_avg"].is_contiguous(memory_format=CL)
        for p, opt in zip((w, reference), opts):
            p.grad = g.clone().contiguous(memory_format=p.data.is_contiguous(memory_format=CL) and CL
                                          or torch.contiguous_format)
            opt.step()
    torch.testing.assert_close(w.detach(), reference.detach(), rtol=1e-6, atol=1e-6)


def test_a_resume_may_switch_channels_last_on(tmp_path):
    """How a step computes, not what: a run resumed with channels-last continues close to one never stopped."""
    import gankit

    data = rgb_folder(tmp_path)
    config = lambda *o: sngan_recipe(data, tmp_path, *SGD, "train.steps=4", "log.checkpoint_every=2", *o)  # noqa: E731
    straight = make_trainer(config(), tmp_path / "straight")
    straight.fit()
    make_trainer(config("train.steps=2"), tmp_path / "resumed").fit()
    gankit.train(resume=tmp_path / "resumed", train={"channels_last": True, "steps": 4})
    resumed = make_trainer(config("train.channels_last=true"), tmp_path / "resumed")
    resumed.resume()
    assert resumed.step == 4
    assert_close_weights(full_state(straight), full_state(resumed))
