"""SiD: where each phase sends its gradient, no real batch drawn, exact resume, the teacher read-only and a
one-line error for a missing or non-edm teacher."""
import pytest
import torch

from gankit.data import load_dataset
from gankit.objectives.diffusion.sid import edm_sigma_at, sid_generator_loss
from gankit.training.experiment import build_experiment

from ...conftest import TINY_TOY, tiny
from ...test_cli import config_file, run
from ...training.test_trainer import assert_bit_identical, full_state, make_trainer, straight_and_resumed
from .test_edm import TINY_EDM_TOY

MLP = {"name": "mlp", "options": {"hidden": 16, "depth": 2}}  # the teacher's network: G and S copy it


def sid_config(teacher) -> dict:
    return {**TINY_TOY, "objective": {"name": "sid", "options": {"teacher": str(teacher)}},
            "model": {"z_dim": 2, "G": MLP, "S": MLP},
            "optim": {k: {"name": "adam", "lr": 1e-3, "betas": [0.0, 0.999]} for k in "GS"},
            "train": {**TINY_TOY["train"], "n_critic": 1}}


@pytest.fixture(scope="module")
def teacher(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("teacher")
    trainer = make_trainer(tiny(TINY_EDM_TOY, tmp, "train.steps=3"), tmp / "edm")
    trainer.fit()
    return tmp / "edm"


def sid_objective(tmp_path, teacher):
    cfg = tiny(sid_config(teacher), tmp_path)
    return build_experiment(cfg, load_dataset(cfg.data.name).spec).objective


def grads(module):
    return [p.grad for p in module.parameters()]


def test_g_and_s_start_from_the_teacher_and_the_teacher_is_no_network(tmp_path, teacher):
    objective = sid_objective(tmp_path, teacher)
    for name in "GS":
        for a, b in zip(objective.nets[name].parameters(), objective.teacher.parameters()):
            assert torch.equal(a, b)
    assert set(objective.nets) == {"G", "S"} and not any(p.requires_grad for p in objective.teacher.parameters())
    assert all(not phase.uses_real for phase in objective.phases())


def test_each_phase_sends_gradient_only_to_its_network(tmp_path, teacher):
    """All parameters require grad here (harsher than the trainer, which switches off the other phase's)."""
    objective = sid_objective(tmp_path, teacher)
    objective.teacher.requires_grad_(True)
    G, S = objective.nets["G"], objective.nets["S"]
    with torch.no_grad():  # S as after a fake-score step: at the start f_psi = f_phi, and the G loss is 0 everywhere
        for p in S.parameters():
            p.add_(0.05 * torch.randn_like(p))
    phases = {p.name: p for p in objective.phases()}
    batch = type("B", (), {"x": None, "y": None, "z": torch.randn(16, 2), "phase_step": 0})()
    phases["G"].loss(batch)["total"].backward()
    assert all(g is None for g in grads(S) + grads(objective.teacher))
    assert any(g is not None and g.abs().sum() > 0 for g in grads(G))
    objective.zero_grad(set_to_none=True)
    phases["S"].loss(batch)["total"].backward()
    assert all(g is None for g in grads(G) + grads(objective.teacher))
    assert any(g is not None and g.abs().sum() > 0 for g in grads(S))


def test_generator_loss_vanishes_where_the_scores_agree_and_pushes_along_their_gap():
    x_g = torch.randn(4, 3, requires_grad=True)
    f_phi = torch.randn(4, 3)
    assert torch.allclose(sid_generator_loss(f_phi, f_phi.clone(), x_g, 1.2), torch.zeros(4))
    f_psi = torch.randn(4, 3)
    sid_generator_loss(f_phi, f_psi, x_g, 1.2).sum().backward()  # scores held fixed: d/dx_g = -(f_phi - f_psi) / w / d
    weight = (x_g - f_phi).detach().abs().mean(1, keepdim=True)
    assert torch.allclose(x_g.grad, -(f_phi - f_psi) / weight / 3)


def test_t_max_bounds_the_noise_levels():
    sigma = edm_sigma_at(torch.tensor([0.0, 0.8, 1.0]), 0.002, 80.0, 7.0)
    assert sigma[0] == pytest.approx(0.002) and sigma[2] == pytest.approx(80.0) and 2 < float(sigma[1]) < 80


def test_no_real_batch_is_drawn(tmp_path, teacher):
    trainer = make_trainer(tiny(sid_config(teacher), tmp_path), tmp_path / "run")
    drawn, original = [], trainer.batches.next
    trainer.batches.next = lambda: drawn.append(1) or original()
    result = trainer.fit()
    assert result["step"] == 6 and trainer.phase_steps == {"S": 6, "G": 6} and drawn == []


def test_resume_is_bit_identical(tmp_path, teacher):
    base = sid_config(teacher)
    straight, second = straight_and_resumed(base, tmp_path)
    state = full_state(straight)
    assert {"objective.teacher_sigma_data", "objective.teacher_step"} <= set(state)
    assert_bit_identical(state, full_state(second))


@pytest.mark.parametrize("which", ["missing", "gan", "unnamed"])
def test_a_teacher_that_is_not_an_edm_run_is_a_one_line_error(tmp_path, capsys, which):
    if which == "gan":
        assert run(capsys, "train", "--config", config_file(tmp_path, TINY_TOY), "--set", "train.steps=1")[0] == 0
        path = next((tmp_path / "runs").iterdir())
    else:
        path = "" if which == "unnamed" else tmp_path / "no-such-run"
    (tmp_path / "sid").mkdir()
    cfg = config_file(tmp_path / "sid", sid_config(path))
    code, _, err = run(capsys, "train", "--config", cfg, "--set", "train.steps=1")
    assert code == 2 and "objective.options.teacher" in err and len(err.strip().splitlines()) == 1, err
    assert {"missing": "no such run", "gan": "sid distils an edm run", "unnamed": "name the edm run"}[which] in err
    assert not (tmp_path / "sid" / "runs").exists() or not any((tmp_path / "sid" / "runs").iterdir())
