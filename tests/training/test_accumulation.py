"""train.accumulate: k micro-batches of batch_size / k give the update of one batch (objectives without batch
statistics), a BatchNorm network is refused, and a run with accumulation resumes bit for bit."""
import pytest
import torch

from gankit.config import build_config
from gankit.errors import ConfigError
from gankit.training.accumulation import micro_batches
from gankit.objectives import Batch

from ..conftest import TINY_DIGITS, TINY_TOY, tiny
from .test_trainer import assert_bit_identical, full_state, loss_lines, make_trainer, straight_and_resumed

BATCH = 64
# SGD with momentum: its update is linear in the gradient, so the comparison sees the accumulation's rounding
# alone. Adam divides by sqrt(v): where a gradient is 0 in exact arithmetic (the WGAN critic's last bias) it turns
# rounding noise of 1e-9 into steps of lr either way, under accumulation or not.
SGD = {"G": {"name": "sgd", "lr": 0.01, "momentum": 0.9}, "D": {"name": "sgd", "lr": 0.01, "momentum": 0.9}}
TOY_GP = {**TINY_TOY, "data": {"name": "ring8", "batch_size": BATCH}, "optim": SGD,
          "objective": {"name": "wgan-gp", "options": {"gp_weight": 10.0}}}  # the penalty weighs in the update
DIGITS_LAYER_NORM = {**TINY_DIGITS, "optim": SGD, "data": {"name": "digits", "batch_size": BATCH},
                     "model": {"z_dim": 8, "G": {"name": "dcgan", "options": {"width": 16, "norm": "layer"}},
                               "D": {"name": "dcgan", "options": {"width": 16, "norm": "none"}}}}
TOY_R1_HINGE = {**TOY_GP, "objective": {"name": "hinge"}, "penalties": [{"name": "r1", "weight": 1.0}]}


def trained(base, tmp_path, name, *overrides):
    trainer = make_trainer(tiny(base, tmp_path, "train.steps=4", "log.checkpoint_every=100", *overrides),
                           tmp_path / name)
    trainer.fit()
    return trainer


# Rounding only: the micro-batches sum their gradients in another order (measured: max difference below 1e-6).
RTOL, ATOL = 1e-5, 1e-6


@pytest.mark.parametrize("base", [TOY_GP, TOY_R1_HINGE, DIGITS_LAYER_NORM],
                         ids=["ring8-mlp-wgan-gp", "ring8-mlp-hinge-r1", "digits-dcgan-layernorm-ns"])
def test_accumulating_four_micro_batches_is_one_batch_update(tmp_path, base):
    whole = trained(base, tmp_path, "whole")
    parts = trained(base, tmp_path, "parts", "train.accumulate=4")
    a, b = full_state(whole), full_state(parts)
    assert a.keys() == b.keys()
    moved = 0
    for key in a:
        if a[key].is_floating_point():
            torch.testing.assert_close(b[key], a[key], rtol=RTOL, atol=ATOL, msg=key)
            moved += key.startswith("net.")
    assert moved
    for x, y in zip(loss_lines(tmp_path / "whole"), loss_lines(tmp_path / "parts")):  # logged losses: batch means
        for key in x:
            assert y[key] == pytest.approx(x[key], rel=1e-4, abs=1e-5), key


def test_micro_batches_are_not_a_smaller_batch(tmp_path):
    """The check above has teeth: one micro-batch's update (batch 16) is not the batch's."""
    whole = trained(TOY_GP, tmp_path, "whole")
    small = trained(TOY_GP, tmp_path, "small", f"data.batch_size={BATCH // 4}")
    a, b = full_state(whole)["net.G.net.0.weight"], full_state(small)["net.G.net.0.weight"]
    assert not torch.allclose(a, b, rtol=RTOL, atol=ATOL)


def test_micro_batches_split_data_labels_and_noise_in_order():
    x, y, z = torch.arange(12.0).view(6, 2), torch.arange(6), torch.randn(6, 3)
    parts = micro_batches(Batch(x, y, z, phase_step=7), 3)
    assert [len(p.x) for p in parts] == [2, 2, 2] and all(p.phase_step == 7 for p in parts)
    assert torch.equal(torch.cat([p.x for p in parts]), x) and torch.equal(torch.cat([p.y for p in parts]), y)
    assert torch.equal(torch.cat([p.z for p in parts]), z)
    assert micro_batches(Batch(None, None, z), 2)[1].x is None


def test_batchnorm_network_is_refused_naming_it(tmp_path):
    with pytest.raises(ConfigError, match=r"train\.accumulate: network G has BatchNorm") as err:
        make_trainer(tiny(TINY_DIGITS, tmp_path, "train.accumulate=2"), tmp_path / "run")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("value, words", [("3", "does not split into 3"), ("0", "an integer from 1")])
def test_accumulate_must_divide_the_batch(value, words):
    with pytest.raises(ConfigError, match=f"train.accumulate.*{words}"):
        build_config(TINY_TOY, overrides=[f"train.accumulate={value}"])  # batch 32


def test_resume_with_accumulation_is_bit_identical(tmp_path):
    straight, resumed = straight_and_resumed(tiny_base := {**TOY_GP, "train": {**TOY_GP["train"], "accumulate": 2}},
                                             tmp_path)
    assert tiny_base["train"]["accumulate"] == 2
    assert_bit_identical(full_state(straight), full_state(resumed))
    assert loss_lines(tmp_path / "straight") == loss_lines(tmp_path / "resumed")


def test_the_benchmark_pair_differs_only_in_accumulation():
    """bench quality's `accumulate` task compares like with like: the same T2-WGAN-GP config, the same effective
    batch of 64, and 4 micro-batches of 16 in one of the two."""
    from gankit.bench.tasks import TASKS

    one_pass, micro = (build_config(TASKS["accumulate"][name]) for name in ("t2-wgan-gp-batch64", "t2-wgan-gp-16x4"))
    assert (one_pass.train.accumulate, micro.train.accumulate) == (1, 4)
    assert one_pass.data.batch_size == micro.data.batch_size == 64
    micro.train.accumulate = 1
    assert micro == one_pass
    assert one_pass == build_config(TASKS["t2"]["wgan-gp"])  # the README sets its FDs beside T2's own records
