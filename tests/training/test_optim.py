"""Optimizer options: parameter groups by name, gradient transforms, clipping, lr schedules, exact resume."""
import math

import pytest
import torch
from torch import nn

from gankit.config import OptimizerConfig, ParamGroupConfig, TransformConfig
from gankit.errors import ConfigError
from gankit.training.experiment import build_experiment
from gankit.data import load_dataset
from gankit.training.optim import NetworkUpdate, lr_factor, stretched_schedule

from ..conftest import TINY_TOY, tiny
from .test_trainer import assert_bit_identical, full_state, make_trainer


def two_layers() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def step_of(net: nn.Module, cfg: OptimizerConfig) -> dict[str, torch.Tensor]:
    """Parameter change of one update on a fixed batch."""
    update = NetworkUpdate(net, cfg, "optim.G", total_steps=10)
    before = {n: p.detach().clone() for n, p in net.named_parameters()}
    net(torch.ones(5, 3)).pow(2).sum().backward()
    update.step()
    return {n: p.detach() - before[n] for n, p in net.named_parameters()}


def test_group_learning_rates_and_weight_decay_reach_the_optimizer(tmp_path):
    cfg = tiny(TINY_TOY, tmp_path, "optim.G.groups=[{params: 'net.0.*', lr_scale: 0.1, weight_decay: 0.01}]",
               "optim.G.weight_decay=0.5")
    exp = build_experiment(cfg, load_dataset("ring8").spec)
    groups = exp.optimizers["G"].param_groups
    first = {id(p) for p in exp.objective.nets["G"].net[0].parameters()}
    assert [len(g["params"]) for g in groups] == [4, 2]  # two other Linear layers, then net.0's weight and bias
    assert {id(p) for p in groups[1]["params"]} == first
    assert groups[0]["lr"] == pytest.approx(1e-4) and groups[0]["weight_decay"] == 0.5
    assert groups[1]["lr"] == pytest.approx(1e-5) and groups[1]["weight_decay"] == 0.01
    assert len(exp.optimizers["D"].param_groups) == 1  # D has no groups: one group as before


def test_a_pattern_that_matches_nothing_is_an_error(tmp_path):
    cfg = tiny(TINY_TOY, tmp_path, "optim.D.groups=[{params: 'head.*', lr_scale: 2.0}]")
    with pytest.raises(ConfigError, match=r"optim.D.groups.0.params: pattern 'head.\*' matches no parameter"):
        build_experiment(cfg, load_dataset("ring8").spec)


def test_scale_transform_scales_the_sgd_step_of_the_selected_layer_only():
    plain = step_of(two_layers(), OptimizerConfig(name="sgd", lr=0.1))
    scaled = step_of(two_layers(), OptimizerConfig(name="sgd", lr=0.1, transforms=[
        TransformConfig("scale", "2.*", {"factor": 0.5})]))
    torch.testing.assert_close(scaled["2.weight"], 0.5 * plain["2.weight"])
    torch.testing.assert_close(scaled["0.weight"], plain["0.weight"])


def test_freeze_keeps_parameters_even_under_momentum_and_weight_decay():
    cfg = OptimizerConfig(name="sgd", lr=0.1, momentum=0.9, weight_decay=0.1,
                          transforms=[TransformConfig("freeze", "0.*")])
    change = step_of(two_layers(), cfg)
    assert torch.count_nonzero(change["0.weight"]) == 0 and torch.count_nonzero(change["2.weight"]) > 0


def test_clip_norm_and_clip_value_bound_the_step():
    plain = step_of(two_layers(), OptimizerConfig(name="sgd", lr=1.0))
    total = torch.cat([v.flatten() for v in plain.values()]).norm()
    assert total > 0.5
    clipped = step_of(two_layers(), OptimizerConfig(name="sgd", lr=1.0, clip_norm=0.5))
    torch.testing.assert_close(torch.cat([v.flatten() for v in clipped.values()]).norm(), torch.tensor(0.5))
    by_value = step_of(two_layers(), OptimizerConfig(name="sgd", lr=1.0, clip_value=0.01))
    assert max(float(v.abs().max()) for v in by_value.values()) <= 0.01 + 1e-7


def test_schedules_give_the_stated_learning_rates():
    warm = OptimizerConfig(warmup_steps=4)
    assert [lr_factor(warm, s, 100) for s in range(6)] == pytest.approx([0.25, 0.5, 0.75, 1.0, 1.0, 1.0])
    cosine = OptimizerConfig(lr_schedule="cosine", decay_steps=10, decay_factor=0.0)
    assert [lr_factor(cosine, s, 100) for s in (0, 5, 10, 20)] == pytest.approx([1.0, 0.5, 0.0, 0.0], abs=1e-12)
    cosine_total = OptimizerConfig(lr_schedule="cosine", warmup_steps=2, decay_factor=0.1)  # length = train.steps
    assert lr_factor(cosine_total, 0, 12) == pytest.approx(0.5)
    assert lr_factor(cosine_total, 7, 12) == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 0.5)))
    step = OptimizerConfig(lr_schedule="step", decay_steps=3, decay_factor=0.1)
    assert [lr_factor(step, s, 100) for s in range(7)] == pytest.approx([1, 1, 1, 0.1, 0.1, 0.1, 0.01])


def test_the_optimizer_steps_with_the_scheduled_lr():
    net = two_layers()
    update = NetworkUpdate(net, OptimizerConfig(name="sgd", lr=0.2, lr_schedule="step", decay_steps=2,
                                                decay_factor=0.5, groups=[ParamGroupConfig("0.*", 0.1)]), "optim.G", 10)
    seen = []
    for _ in range(4):
        net(torch.ones(1, 3)).sum().backward()
        update.step()
        seen += [g["lr"] for g in update.optimizer.param_groups]
    assert seen == pytest.approx([0.2, 0.02, 0.2, 0.02, 0.1, 0.01, 0.1, 0.01])


def test_unknown_schedule_and_transform_are_one_line_errors(tmp_path):
    with pytest.raises(ConfigError, match="optim.G.lr_schedule: 'cosin'; did you mean 'cosine'"):
        tiny(TINY_TOY, tmp_path, "optim.G.lr_schedule=cosin")
    cfg = tiny(TINY_TOY, tmp_path, "optim.G.transforms=[{name: clip}]")
    with pytest.raises(ConfigError, match="unknown gradient-transform 'clip'"):
        build_experiment(cfg, load_dataset("ring8").spec)


def test_resume_is_bit_identical_with_schedules_groups_and_transforms(tmp_path):
    options = ["optim.G.lr_schedule=cosine", "optim.G.warmup_steps=2", "optim.D.lr_schedule=step",
               "optim.D.decay_steps=3", "optim.D.clip_norm=0.1", "optim.G.groups=[{params: 'net.0.*', lr_scale: 3.0}]",
               "optim.D.transforms=[{name: scale, params: 'net.3.*', options: {factor: 0.5}}]"]
    straight = make_trainer(tiny(TINY_TOY, tmp_path, *options), tmp_path / "straight")
    straight.fit()
    make_trainer(tiny(TINY_TOY, tmp_path, *options, "train.steps=3"), tmp_path / "resumed").fit()
    second = make_trainer(tiny(TINY_TOY, tmp_path, *options), tmp_path / "resumed")
    second.resume()
    assert second.exp.updates["D"].num_steps == 6  # 3 iterations of 2 critic steps
    second.fit()
    assert_bit_identical(full_state(straight), full_state(second))
    assert int(full_state(second)["lr_schedule.G"]) == 6


def test_a_schedule_spans_each_networks_own_optimizer_steps(tmp_path):
    """With n_critic 2, D steps twice per iteration: its cosine ends with the run, not half-way through."""
    cfg = tiny(TINY_TOY, tmp_path, "train.steps=10", "optim.D.lr_schedule=cosine", "optim.D.decay_factor=0",
               "optim.G.lr_schedule=cosine", "optim.G.decay_factor=0")
    exp = build_experiment(cfg, load_dataset(cfg.data.name).spec)
    assert exp.updates["D"].total_steps == 20 and exp.updates["G"].total_steps == 10
    assert lr_factor(exp.updates["D"].cfg, 10, 20) == pytest.approx(0.5)  # half-way through the run


def test_rollback_scale_multiplies_the_scheduled_rate(tmp_path):
    cfg = tiny(TINY_TOY, tmp_path, "optim.D.lr=0.01")
    exp = build_experiment(cfg, load_dataset(cfg.data.name).spec)
    exp.updates["D"].scale_lr(0.25)
    assert exp.optimizers["D"].param_groups[0]["lr"] == pytest.approx(0.0025)


def test_a_stretched_schedules_note_gives_the_lr_in_use_after_rollbacks():
    """Cosine from 1e-3 to 0 over 8 steps, at step 4 of a run stretched to 16: lr 5e-4 before, 1e-3 x
    (1 + cos(pi / 4)) / 2 after, both halved by a rollback's lr scale of 0.5; nothing for a fixed length."""
    cfg = OptimizerConfig(lr=1e-3, lr_schedule="cosine", decay_factor=0.0)
    note = stretched_schedule("D", cfg, 4, 8, 16, scale=0.5)
    assert note.endswith(f"from 0.00025 to {0.5e-3 * (1 + math.cos(math.pi / 4)) / 2:.3g} at this step")
    assert stretched_schedule("D", OptimizerConfig(lr=1e-3, lr_schedule="cosine", decay_steps=8), 4, 8, 16) is None
    assert stretched_schedule("D", cfg, 4, 8, 8) is None


# --- optim.<net>.implementation ---------------------------------------------------------------

def implementation_run(tmp_path, name, optimizer, implementation):
    sets = [f"optim.{net}.{key}={value}" for net in "GD" for key, value in
            (("name", optimizer), ("implementation", implementation), ("momentum", 0.9))]
    trainer = make_trainer(tiny(TINY_TOY, tmp_path, "objective.name=ns", "train.steps=4", *sets), tmp_path / name)
    trainer.fit()
    return trainer


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_fused_foreach_and_for_loop_give_the_same_updates(tmp_path, optimizer):
    """The same gradients, the update arithmetic arranged differently: weights agree to rounding after 4
    iterations (measured: 0 for foreach, at most 1.2e-7 for fused)."""
    runs = {impl: implementation_run(tmp_path, impl, optimizer, impl) for impl in ("for-loop", "foreach", "fused")}
    assert runs["fused"].exp.optimizers["D"].defaults["fused"] is True
    assert runs["foreach"].exp.optimizers["D"].defaults["foreach"] is True
    reference = full_state(runs["for-loop"])
    for impl in ("foreach", "fused"):
        state = full_state(runs[impl])
        for key in reference:
            torch.testing.assert_close(state[key], reference[key], rtol=1e-5, atol=1e-6, msg=f"{impl} {key}")


def test_an_implementation_the_optimizer_lacks_is_a_one_line_error(tmp_path):
    with pytest.raises(ConfigError, match=r"optim\.D\.implementation: RMSprop has no fused implementation") as err:
        make_trainer(tiny(TINY_TOY, tmp_path, "optim.D.name=rmsprop", "optim.D.implementation=fused"),
                     tmp_path / "run")
    assert "\n" not in str(err.value)
    with pytest.raises(ConfigError, match=r"optim\.G\.implementation: 'fuse'; did you mean 'fused'"):
        tiny(TINY_TOY, tmp_path, "optim.G.implementation=fuse")
