"""ADA's controller: the p update rule, p rising when D memorises a tiny set and staying near 0 when it cannot,
the critic hook, the one-line errors, and exact resume with ADA on."""
import math

import pytest
import torch

from gankit.config import build_config
from gankit.data import DataSpec
from gankit.errors import CheckpointError, ConfigError
from gankit.objectives import Batch
from gankit.objectives.ada import AdaptiveAugment, parse_pipeline
from gankit.objectives.base import REAL_SIGN
from gankit.training.experiment import build_experiment

from ..conftest import TINY_DIGITS, TINY_TOY, tiny
from ..training.test_trainer import assert_bit_identical, full_state, loss_lines, straight_and_resumed

ADA_ON = ["ada.target=0.6", "ada.p_init=0.3", "ada.interval=1", "ada.speed_images=200"]


def observed(controller, sign_mean, n=16):
    controller.observe({REAL_SIGN: torch.tensor(sign_mean)}, Batch(torch.zeros(n, 1, 4, 4), None, torch.zeros(n, 2)))


def test_p_moves_by_the_images_seen_over_speed_images_in_the_sign_of_r_t_minus_target():
    cfg = build_config({}, overrides=["ada.target=0.6", "ada.interval=4", "ada.speed_images=1000"]).ada
    ada = AdaptiveAugment(cfg, ["xflip"])
    for step in range(1, 5):  # 4 iterations of 16 real images, r_t = mean(1, 1, 0.5, 0.5) = 0.75 > 0.6
        observed(ada, 1.0 if step <= 2 else 0.5)
        ada.adjust(step)
        assert ada.p == (0.064 if step == 4 else 0.0)
    assert ada.r_t == pytest.approx(0.75) and ada.count == 0
    for step in range(5, 9):  # r_t = 0.2 < 0.6: back down by 64 / 1000, clamped at 0
        observed(ada, 0.2)
        ada.adjust(step)
    assert ada.p == 0.0 and ada.r_t == pytest.approx(0.2)
    ada.p = 0.99
    for step in range(9, 13):
        observed(ada, 1.0)
        ada.adjust(step)
    assert ada.p == 1.0  # clamped at 1
    observed(ada, 0.6)
    ada.adjust(16)
    assert ada.p == 1.0  # r_t == target: p stays


def test_p_waits_out_the_warmup_while_r_t_is_measured():
    cfg = build_config({}, overrides=["ada.target=0.6", "ada.interval=4", "ada.speed_images=1000",
                                      "ada.warmup_steps=8"]).ada
    ada = AdaptiveAugment(cfg, ["xflip"])
    for step in range(1, 9):  # r_t = 0.9 > 0.6 from the start: an untrained critic's verdict
        observed(ada, 0.9)
        ada.adjust(step)
    assert ada.p == 0.0 and ada.r_t == pytest.approx(0.9) and ada.count == 0  # measured (and logged), p kept
    for step in range(9, 13):  # the first adjustment after the warm-up counts only its own images
        observed(ada, 0.9)
        ada.adjust(step)
    assert ada.p == pytest.approx(0.064)


def critic_run(real: torch.Tensor | None, steps: int, pipeline: str) -> tuple[list[float], list[float]]:
    """Trains only the critic of an NS GAN whose 'generator' hands out fresh N(0, 1) images, against real
    images that are either a fixed tiny set (`real`: it can memorise them) or fresh N(0, 1) images like the
    fakes (None: nothing to tell apart). Returns p and r_t after every adjustment (every 4 steps)."""
    cfg = build_config({"data": {"batch_size": 16}, "objective": {"name": "ns"},
                        "model": {"z_dim": 48, "G": {"name": "mlp"}, "D": {"name": "mlp", "options": {"hidden": 256}}},
                        "optim": {"D": {"lr": 5e-3}},
                        "ada": {"target": 0.6, "interval": 4, "speed_images": 3000, "pipeline": pipeline}})
    exp = build_experiment(cfg, DataSpec("noise", (3, 4, 4)))
    exp.objective.nets["G"] = torch.nn.Unflatten(1, (3, 4, 4))  # G(z) = z: fakes are fresh N(0, 1) images
    phase = exp.phases[0]
    assert phase.role == "critic"
    ps, rs = [], []
    for step in range(1, steps + 1):
        x = real[torch.randint(0, len(real), (16,))] if real is not None else torch.randn(16, 3, 4, 4)
        batch = Batch(x, None, exp.objective.sample_z(16))
        losses = phase.loss(batch)
        exp.optimizers["D"].zero_grad()
        losses["total"].backward()
        exp.optimizers["D"].step()
        exp.ada.observe(losses, batch)
        exp.ada.adjust(step)
        if step % 4 == 0:
            ps.append(exp.ada.p)
            rs.append(exp.ada.r_t)
    return ps, rs


def test_p_climbs_when_d_memorises_a_tiny_set():
    torch.manual_seed(0)
    sixteen = torch.randn(16, 3, 4, 4)  # the same distribution as the fakes: only memorising tells them apart
    # groups that cannot hide 16 images from a D that memorises them: r_t stays above the target, p climbs to 1
    # (the full pipeline makes memorising hard enough that p settles near 0.15 with r_t about the target)
    ps, rs = critic_run(sixteen, 300, "xflip,brightness,contrast")
    assert sum(r > 0.6 for r in rs) > 0.8 * len(rs)  # D tells its 16 images from fresh ones
    assert ps[-1] == 1.0 and all(b >= a for a, b in zip(ps[:20], ps[1:21]))  # so p climbs, steadily from the start


def test_p_stays_near_zero_when_real_and_fake_are_the_same_distribution():
    torch.manual_seed(0)
    ps, rs = critic_run(None, 300, "xflip,brightness,contrast")
    assert max(ps) <= 0.05
    assert abs(sum(rs) / len(rs)) < 0.2  # r_t hovers about 0, far below the target


def test_the_hook_augments_the_critics_inputs_in_training_mode_only(tmp_path):
    cfg = tiny(TINY_DIGITS, tmp_path, "ada.target=0.6", "ada.p_init=1.0", "ada.pipeline=brightness")
    exp = build_experiment(cfg, DataSpec("digits", (1, 8, 8)))
    D = exp.objective.nets["D"]
    seen = []
    D.register_forward_hook(lambda module, args, out: seen.append(args[0]))  # after the pre-hook
    x = torch.zeros(4, 1, 8, 8)
    torch.manual_seed(0)
    D(x)
    assert not torch.equal(seen[-1], x)  # brightness moved every image
    D.eval()
    D(x)
    assert torch.equal(seen[-1], x)


@pytest.mark.parametrize("override, message", [
    ("ada.target=1.0", r"ada.target: expected a value in \[0, 1\)"),
    ("ada.target=-0.1", r"ada.target: expected a value in \[0, 1\)"),
    ("ada.pipeline=xflip,rotate45", "ada.pipeline: unknown group 'rotate45'.*choose from xflip, rotate90, xint"),
    ("ada.interval=0", "ada.interval: expected a positive number"),
    ("ada.speed_images=0", "ada.speed_images: expected a positive number"),
    ("ada.p_init=1.5", r"ada.p_init: expected a probability in \[0, 1\]"),
    ("ada.warmup_steps=-1", r"ada.warmup_steps: expected a number of iterations >= 0, got -1"),
])
def test_bad_ada_values_are_one_line_errors(override, message):
    with pytest.raises(ConfigError, match=message) as err:
        build_config(TINY_DIGITS, overrides=[override])
    assert "\n" not in str(err.value)


def test_ada_on_vectors_on_a_critic_without_a_sign_or_with_diffaugment_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="ADA transforms images; this dataset gives vectors"):
        build_experiment(tiny({**TINY_TOY, "objective": {"name": "ns"}}, tmp_path, "ada.target=0.6"),
                         DataSpec("ring8", (2,)))
    spec = DataSpec("digits", (1, 8, 8))
    with pytest.raises(ConfigError, match=r"objective 'wgan-gp' reports no E\[sign\(D\(x_real\)\)\].*objectives that "
                                          r"do: .*bigan.*hinge.*lsgan.*minimax.*ns") as err:
        build_experiment(tiny(TINY_DIGITS, tmp_path, "objective.name=wgan-gp", "ada.target=0.6"), spec)
    assert "wgan-gp" not in str(err.value).split("do: ")[1].split(", ")
    with pytest.raises(ConfigError, match="no E"):
        build_experiment(tiny(TINY_DIGITS, tmp_path, "objective.name=ign", "ada.target=0.6"), spec)
    with pytest.raises(ConfigError, match="ada.pipeline: rotate90 turns square images; these are 8x16"):
        build_experiment(tiny({**TINY_DIGITS, "model": {"z_dim": 8, "G": {"name": "mlp"}, "D": {"name": "mlp"}}},
                              tmp_path, "ada.target=0.6"), DataSpec("oblong", (1, 8, 16)))
    with pytest.raises(ConfigError, match="ADA and DiffAugment"):
        build_experiment(tiny(TINY_DIGITS, tmp_path, "augment=color", "ada.target=0.6"), spec)
    with pytest.raises(ConfigError, match="ada.pipeline: expected at least one group"):
        build_config(TINY_DIGITS, overrides=["ada.target=0.6", "ada.pipeline="])
    for augmented in ("ada.target=0.6", "augment=color"):  # hooks would draw inside compiled code
        with pytest.raises(ConfigError, match="train.compile: not with (ada.target|augment)"):
            build_config(TINY_DIGITS, overrides=[augmented, "train.compile=true"])
    assert parse_pipeline(" xflip, hue ,") == ["xflip", "hue"]


def test_training_with_ada_resumes_bit_identically_and_logs_p(tmp_path):
    base = {**TINY_DIGITS, "objective": {"name": "hinge"}, "penalties": [{"name": "r1", "weight": 1.0, "every": 2}],
            "ada": {"target": 0.6, "p_init": 0.3, "interval": 1, "speed_images": 200}}  # R1 through the augmentation
    straight, resumed = straight_and_resumed(base, tmp_path)
    assert_bit_identical(full_state(straight), full_state(resumed))
    lines = loss_lines(tmp_path / "straight")
    assert lines == loss_lines(tmp_path / "resumed")
    ps = [line["ada/p"] for line in lines]
    assert len(set(ps)) > 2 and all(0 <= p <= 1 for p in ps)  # p moved, 2 x 32 images / 200 per iteration
    assert all(math.isfinite(line["ada/r_t"]) and line["d_real_sign"] == pytest.approx(line["d_real_sign"])
               for line in lines)
    assert full_state(straight)["ada.p"] == torch.tensor(ps[-1], dtype=torch.float64)
    state = full_state(straight)
    state["ada.p"] = torch.tensor(1.5, dtype=torch.float64)
    with pytest.raises(CheckpointError, match="ada"):
        straight.exp.ada.load_state(state)


def test_ada_trains_under_bf16_autocast(tmp_path):
    """grid_sample runs in float32 under autocast while generated images come in bfloat16: the resampled
    images go back to the batch in its own dtype."""
    from ..training.test_trainer import make_trainer

    cfg = tiny(TINY_DIGITS, tmp_path, "objective.name=hinge", "train.precision=bf16", "train.steps=2",
               "ada.target=0.6", "ada.p_init=1.0", "ada.pipeline=scale,rotate,brightness")
    trainer = make_trainer(cfg, tmp_path / "bf16")
    trainer.fit()
    assert all(math.isfinite(v) for line in loss_lines(tmp_path / "bf16") for v in line.values())
