"""Deep InfoMax: the JS terms' values, the local critic at every position, codes into the encoder metrics (k-NN,
no reconstruction), exact resume, and a one-line refusal to sample."""
import json
import math

import numpy as np
import torch

from gankit.data import DataSpec
from gankit.nn import ENCODERS, build_network
from gankit.objectives.infomax import js_loss

from ..conftest import TINY_DIGITS, TINY_TOY, tiny
from ..test_cli import config_file, run, run_dir_of
from ..training.test_trainer import assert_bit_identical, full_state, make_trainer

TINY_INFOMAX = {**TINY_DIGITS, "objective": {"name": "infomax"},
                "model": {"z_dim": 6, "E": {"name": "infomax", "options": {"width": 8, "hidden": 16}}},
                "optim": {"E": {"name": "adam", "lr": 1e-3}}, "train": {**TINY_DIGITS["train"], "n_critic": 1},
                "log": {**TINY_DIGITS["log"], "eval_every": 6}}


def test_js_loss_reference_values():
    """At logits 0 both terms are log 2; a critic sure of both (+-20) has loss ~0; one sure and wrong, ~40."""
    assert math.isclose(float(js_loss(torch.zeros(5), torch.zeros(5))), 2 * math.log(2), rel_tol=1e-6)
    assert float(js_loss(torch.full((5,), 20.0), torch.full((5,), -20.0))) < 1e-8
    assert math.isclose(float(js_loss(torch.full((5,), -20.0), torch.full((5,), 20.0))), 40.0, rel_tol=1e-6)


def test_encoder_exposes_a_local_map_for_images_and_vectors():
    for shape, positions in (((1, 8, 8), 16), ((3, 16, 16), 64), ((2,), 1)):
        E = build_network(ENCODERS, "infomax", {"width": 8, "hidden": 16}, "model.E.options",
                          spec=DataSpec("x", shape), z_dim=4, outputs=8)
        x = torch.randn(5, *shape)
        local, g = E.features(x)
        assert E(x).shape == (5, 8) and E.local_scores(local, torch.randn(5, 4)).flatten(1).shape == (5, positions)
        assert E.global_score(g, torch.randn(5, 4)).shape == (5,)


def test_codes_go_into_the_encoder_metrics_without_reconstruction(tmp_path):
    trainer = make_trainer(tiny(TINY_INFOMAX, tmp_path), tmp_path / "run")
    metrics = trainer.fit()["metrics"]
    assert 0.0 <= metrics["encoder/knn"] <= 1.0 and not any("recon" in k for k in metrics)
    events = [r for r in trainer.log.read() if r.get("event", "session") != "session"]
    assert events == []  # nothing to draw is not a failed sampling


def test_resume_is_bit_identical(tmp_path):
    straight = make_trainer(tiny(TINY_INFOMAX, tmp_path, "log.eval_every=0"), tmp_path / "straight")
    straight.fit()
    first = make_trainer(tiny(TINY_INFOMAX, tmp_path, "train.steps=3", "log.eval_every=0"), tmp_path / "resumed")
    first.fit()
    second = make_trainer(tiny(TINY_INFOMAX, tmp_path, "log.eval_every=0"), tmp_path / "resumed")
    second.resume()
    second.fit()
    assert_bit_identical(full_state(straight), full_state(second))


def test_encode_works_and_sample_is_a_one_line_error(tmp_path, capsys):
    code, out, _ = run(capsys, "train", "--config", config_file(tmp_path, TINY_INFOMAX), "--set", "train.steps=2")
    assert code == 0
    run_dir = run_dir_of(out)
    assert run(capsys, "encode", run_dir, "-n", "10", "-o", str(tmp_path / "z.npz"))[0] == 0
    assert np.load(tmp_path / "z.npz")["z"].shape == (10, 6)
    code, _, err = run(capsys, "sample", run_dir, "-n", "4", "-o", str(tmp_path / "s.png"))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "infomax" in err


def test_ring8_infomax_trains_on_vectors(tmp_path):
    base = {**TINY_TOY, "objective": {"name": "infomax"},
            "model": {"z_dim": 2, "E": {"name": "infomax", "options": {"hidden": 16}}},
            "optim": {"E": {"name": "adam", "lr": 1e-3}}, "train": {**TINY_TOY["train"], "n_critic": 1}}
    trainer = make_trainer(tiny(base, tmp_path), tmp_path / "run")
    trainer.fit()
    assert math.isfinite(trainer.last_losses["E/total"]) and json.dumps(trainer.last_losses)


def test_noise_share_splits_the_sampled_codes_variance():
    """Reference values of the law of total variance: Var_x mu = 4, sigma^2 = 4 -> 1/2; sigma -> 0 -> 0; mu fixed -> 1."""
    from gankit.objectives.infomax import InfoMax

    mu = torch.tensor([-2.0, 2.0]).repeat(500).view(-1, 1).expand(-1, 3)  # variance 4 (n - 1 denominator: ~4.004)
    for log_var, expected in ((math.log(4.0), 0.5), (-30.0, 0.0)):
        head = lambda x, lv=log_var: torch.cat([mu, torch.full_like(mu, lv)], 1)  # noqa: E731
        share = InfoMax.code_statistics(None, torch.zeros(1000, 2), {"E": head})["noise_share"]
        assert abs(share - expected) < 1e-3
    constant = lambda x: torch.cat([torch.ones(len(x), 3), torch.zeros(len(x), 3)], 1)  # noqa: E731
    assert InfoMax.code_statistics(None, torch.zeros(10, 2), {"E": constant})["noise_share"] == 1.0
