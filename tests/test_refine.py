"""gankit refine: the latent energy, the critic climbs, the one-line refusal, the command's outputs."""
import json

import numpy as np
import pytest
import torch

from gankit.errors import ConfigError
from gankit.training.experiment import experiment_from_checkpoint
from gankit.refine import RefineSettings, latent_energy, refine

from .conftest import TINY_BIGAN, TINY_DIGITS, TINY_TOY
from .objectives.test_energy import TINY_EBM_TOY
from .test_cli import config_file, run


def trained(tmp_path_factory, base, name, steps=6):
    from gankit import cli

    tmp = tmp_path_factory.mktemp(name)
    assert cli.main(["train", "--config", config_file(tmp, base), "--set", f"train.steps={steps}"]) == 0
    return next((tmp / "runs").iterdir())


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    return trained(tmp_path_factory, TINY_TOY, "toy", steps=30)


def test_latent_energy_is_prior_minus_beta_critic():
    G, D = (lambda z: 2 * z), (lambda x: x.sum(1))
    z = torch.tensor([[1.0, 2.0], [0.0, -1.0]])
    torch.testing.assert_close(latent_energy(D, G, 0.5)(z), torch.tensor([2.5 - 3.0, 0.5 + 1.0]))


def test_refinement_lowers_the_latent_energy_and_keeps_z(toy_run):
    exp, _ = experiment_from_checkpoint(toy_run)
    z = exp.objective.sample_z(300, torch.Generator().manual_seed(0))
    settings = RefineSettings("langevin", 30, 0.01, beta=2.0, noise_scale=1e-4)  # nearly gradient descent
    before, after, info = refine(exp, z, settings, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(before, exp.generate(z))  # same z, same samples before
    assert info["energy"][-1] < info["energy"][0] - 1e-3 and info["space"] == "latent"
    critic = exp.objective.critic_value
    _, climbed, _ = refine(exp, z, RefineSettings("langevin", 30, 1e-4, beta=500.0, noise_scale=1e-6))
    assert critic(climbed).mean() > critic(before).mean()  # a low temperature climbs the critic
    _, again, _ = refine(exp, z, settings, generator=torch.Generator().manual_seed(1))
    assert torch.equal(after, again)


def test_mala_refinement_reports_its_acceptance(toy_run):
    exp, _ = experiment_from_checkpoint(toy_run)
    z = exp.objective.sample_z(100, torch.Generator().manual_seed(0))
    _, _, info = refine(exp, z, RefineSettings("mala", 5, 0.01), generator=torch.Generator(), trace=True)
    assert 0 < info["acceptance"] <= 1 and info["states"].shape == (6, 100, 2)


def test_command_writes_samples_pictures_and_metrics_side_by_side(toy_run, tmp_path, capsys):
    out = tmp_path / "ref"
    code, text, _ = run(capsys, "refine", str(toy_run), "-n", "200", "--steps", "4", "--beta", "2", "--eval",
                        "--output-dir", str(out))
    assert code == 0 and "before" in text and "after" in text
    record = json.loads((out / "refine-seed0.json").read_text())
    assert record["settings"] == {"sampler": "langevin", "steps": 4, "step_size": 0.01, "beta": 2.0, "noise_scale": None}
    assert set(record["metrics"]) == {"before", "after"} and "toy/hq" in record["metrics"]["after"]
    arrays = np.load(out / "refined-seed0.npz")
    assert arrays["before"].shape == arrays["after"].shape == (200, 2)
    assert all((out / f"{k}-seed0.png").exists() for k in ("before", "after", "chains"))


def test_images_get_a_grid_of_chain_states_and_ebms_refine_in_data_space(tmp_path_factory, tmp_path, capsys):
    digits = trained(tmp_path_factory, TINY_DIGITS, "digits", steps=2)
    code, _, _ = run(capsys, "refine", str(digits), "-n", "20", "--steps", "3", "--output-dir", str(tmp_path / "d"))
    assert code == 0 and (tmp_path / "d" / "chains-seed0.png").exists()
    ebm = trained(tmp_path_factory, TINY_EBM_TOY, "ebm", steps=4)
    code, text, _ = run(capsys, "refine", str(ebm), "-n", "50", "--steps", "3", "--output-dir", str(tmp_path / "e"))
    assert code == 0 and "data space" in text
    code, _, _ = run(capsys, "refine", str(ebm), "-n", "50", "--steps", "3", "--from-noise", "--output-dir",
                     str(tmp_path / "n"))
    arrays = np.load(tmp_path / "n" / "refined-seed0.npz")
    assert code == 0 and np.abs(arrays["before"]).max() <= 2.0  # the uniform noise the chains started from
    code, _, err = run(capsys, "refine", str(digits), "-n", "4", "--from-noise")
    assert code == 2 and "only objectives whose chains run in data space start them from noise (ebm)" in err


def test_a_joint_critic_is_refused_in_one_line(tmp_path_factory, capsys):
    bigan = trained(tmp_path_factory, TINY_BIGAN, "bigan", steps=1)
    exp, _ = experiment_from_checkpoint(bigan)
    with pytest.raises(ConfigError, match="no critic over x alone.*works for .*ebm.*o-gan"):
        refine(exp, exp.objective.sample_z(4), RefineSettings())
    code, _, err = run(capsys, "refine", str(bigan), "-n", "4")
    assert code == 2 and err.count("\n") == 1
    code, _, err = run(capsys, "sample", str(bigan), "--chains-from", "buffer")
    assert code == 2 and "objectives that do: ebm" in err
