"""The autoencoder objectives through the trainer and the CLI: exact resume with codebook statistics, sampling
where it makes sense and a one-line error where not, eval --likelihood, codebook usage in eval."""
import json

import numpy as np
import pytest
import torch

from gankit.training.experiment import experiment_from_checkpoint

from ...conftest import tiny
from ...test_cli import config_file, run, run_dir_of
from ...training.test_trainer import assert_bit_identical, full_state, make_trainer, straight_and_resumed

MLP = {"name": "mlp", "options": {"hidden": 16, "depth": 1}}
ADAM = {"name": "adam", "lr": 1e-3}
TINY_AE = {
    "name": "tiny-ae", "data": {"name": "digits", "batch_size": 32},
    "model": {"z_dim": 6, "G": MLP, "E": MLP},
    "objective": {"name": "vae", "options": {"dequantize": 0.125}},
    "optim": {"G": ADAM, "E": ADAM},
    "train": {"steps": 6, "n_critic": 1, "ema_decay": 0.9, "threads": 1},
    "log": {"log_every": 1, "sample_every": 0, "eval_every": 0, "checkpoint_every": 3, "num_samples": 16,
            "eval_samples": 100, "progress": False, "keep_checkpoints": 10},
}
VQ = {"name": "vq-vae", "options": {"quantizer": "vq", "code_dim": 3,
                                    "quantizer_options": {"codebook_size": 16, "ema_decay": 0.9,
                                                          "dead_code_threshold": 0.5, "gradient": "rotation"}}}
OBJECTIVES = {
    "vae": TINY_AE["objective"],
    "vae-bn-bernoulli": {"name": "vae", "options": {"decoder": "bernoulli", "posterior_norm": "batchnorm"}},
    "eae": {"name": "eae", "options": {"entropy_weight": 0.5}},
    "dae": {"name": "dae", "options": {"langevin_steps": 5}},
    "vq-vae-ema-rotation": VQ,
    "vq-vae-fsq": {"name": "vq-vae", "options": {"quantizer": "fsq", "code_dim": 3, "quantizer_options": {"levels": [4, 3, 3]}}},
}


def with_objective(name):
    return {**TINY_AE, "objective": OBJECTIVES[name]}


@pytest.mark.parametrize("name", list(OBJECTIVES))
def test_resume_is_bit_identical(tmp_path, name):
    straight, second = straight_and_resumed(with_objective(name), tmp_path)
    state = full_state(straight)
    assert_bit_identical(state, full_state(second))
    if name == "vq-vae-ema-rotation":  # the codebook statistics travel in the checkpoint as objective state
        assert {"objective.quantizer.cluster_size", "objective.quantizer.embed_sum"} <= set(state)


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory):
    from gankit import cli

    tmp = tmp_path_factory.mktemp("vae")
    assert cli.main(["train", "--config", config_file(tmp, TINY_AE), "--set", "train.steps=4"]) == 0
    return next((tmp / "runs").iterdir())


def test_eval_likelihood_prints_k_and_units(vae_run, tmp_path, capsys):
    out = tmp_path / "ll.json"
    code, text, _ = run(capsys, "eval", str(vae_run), "--likelihood", "20", "-o", str(out))
    record = json.loads(out.read_text())
    assert code == 0 and "K = 20" in text and "nats per sample" in text and "bits per dim" in text
    assert "uniform dequantization" in text and record["grid_spacing"] == 0.125 and record["items"] == 797  # the held-out benchmark digits
    assert record["nll_nats"] <= record["neg_elbo_nats"] + 1e-6
    assert record["bits_per_dim"] == pytest.approx(record["nll_nats"] / (64 * np.log(2)))


def test_vae_samples_encodes_and_reconstructs(vae_run, tmp_path, capsys):
    assert run(capsys, "sample", str(vae_run), "-n", "8", "-o", str(tmp_path / "s.npz"))[0] == 0
    assert np.load(tmp_path / "s.npz")["x"].shape == (8, 1, 8, 8)
    assert run(capsys, "encode", str(vae_run), "-n", "10", "-o", str(tmp_path / "z.npz"))[0] == 0
    assert np.load(tmp_path / "z.npz")["z"].shape == (10, 6)
    assert run(capsys, "reconstruct", str(vae_run), "-n", "4", "-o", str(tmp_path / "r.png"))[0] == 0


def test_vq_vae_cannot_sample_but_reports_its_codebook(tmp_path, capsys):
    code, out, _ = run(capsys, "train", "--config", config_file(tmp_path, with_objective("vq-vae-ema-rotation")),
                       "--set", "train.steps=3")
    run_dir = run_dir_of(out)
    assert code == 0
    code, _, err = run(capsys, "sample", run_dir, "-o", str(tmp_path / "s.png"))
    assert code == 2 and "cannot sample unconditionally" in err and len(err.strip().splitlines()) == 1
    code, text, _ = run(capsys, "eval", run_dir, "-o", str(tmp_path / "e.json"))
    metrics = json.loads((tmp_path / "e.json").read_text())["metrics"]
    assert code == 0 and {"encoder/perplexity", "encoder/usage", "encoder/recon_mse"} <= set(metrics)
    # the same figures from the codes themselves: exp(entropy) of the index histogram, share of codes used
    from gankit.data import load_dataset
    from gankit.metrics.encoder import held_out
    from gankit.objectives.base import evaluating

    exp, _ = experiment_from_checkpoint(run_dir)
    nets = exp.networks(use_ema=True)
    with torch.no_grad(), evaluating(*nets.values()):
        indices = nets["E"](held_out(load_dataset(exp.cfg.data.name))[0])[1].flatten()
    size = exp.objective.quantizer.codebook_size
    p = torch.bincount(indices, minlength=size).double() / len(indices)
    entropy = -(p[p > 0] * p[p > 0].log()).sum()
    perplexity, usage = metrics["encoder/perplexity"], metrics["encoder/usage"]
    assert abs(perplexity - float(entropy.exp())) < 1e-4 and 1.0 <= perplexity <= size  # in [1, codebook size]
    assert abs(usage - float((p > 0).double().mean())) < 1e-6 and 0 < usage <= 1
    code, _, err = run(capsys, "eval", run_dir, "--likelihood", "10")
    assert code == 2 and "no tractable density" in err
    assert run(capsys, "reconstruct", run_dir, "-n", "4", "-o", str(tmp_path / "r.png"))[0] == 0


def test_dae_samples_by_langevin_from_data_shaped_noise(tmp_path):
    trainer = make_trainer(tiny(with_objective("dae"), tmp_path, "train.steps=2"), tmp_path / "dae")
    trainer.fit()
    exp, _ = experiment_from_checkpoint(tmp_path / "dae")
    z = exp.objective.sample_z(5, torch.Generator().manual_seed(0))
    assert z.shape == (5, 1, 8, 8)
    x = exp.generate(z, generator=torch.Generator().manual_seed(1))
    assert x.shape == (5, 1, 8, 8) and x.abs().max() <= 1
    again = exp.generate(z, generator=torch.Generator().manual_seed(1))
    assert torch.equal(x, again)  # the chains' noise comes from the generator given
