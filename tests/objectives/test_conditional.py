"""Class-conditional GANs: conditional BatchNorm, projection and ACGAN critics, labels through sampling and metrics."""
import copy

import pytest
import torch
from torch.testing import assert_close

from gankit import cli
from gankit.data import DataSpec, load_dataset
from gankit.errors import ConfigError
from gankit.training.experiment import build_experiment
from gankit.metrics.conditional import interleave_by_class
from gankit.nn import DISCRIMINATORS, GENERATORS, build_network
from gankit.nn.conditional import ConditionalBatchNorm

from ..conftest import TINY_DIGITS, TINY_TOY, tiny

SPEC = DataSpec("digits", (1, 8, 8), num_classes=10)
CGAN = {**TINY_DIGITS, "model": {"z_dim": 8, "G": {"name": "dcgan", "options": {"width": 16, "conditional": True}},
                                 "D": {"name": "dcgan", "options": {"width": 16, "norm": "layer",
                                                                    "conditional": "projection"}}},
        "train": {**TINY_DIGITS["train"], "n_critic": 1}, "log": {**TINY_DIGITS["log"], "eval_samples": 100}}


def test_conditional_batchnorm_starts_as_plain_batchnorm_and_listens_to_the_class():
    norm = ConditionalBatchNorm(4, 3)
    h, c = torch.randn(6, 4, 2, 2), torch.tensor([0, 1, 2, 0, 1, 2])
    assert_close(norm(h, c), torch.nn.functional.batch_norm(h, None, None, training=True))
    with torch.no_grad():
        norm.gamma.weight[2] = 2.0
        norm.beta.weight[1] = 0.5
    plain = torch.nn.functional.batch_norm(h, None, None, training=True)
    out = norm(h, c)
    assert_close(out[c == 2], 2 * plain[c == 2])
    assert_close(out[c == 1], plain[c == 1] + 0.5)


def test_conditional_generator_reads_the_class_from_the_last_column():
    torch.manual_seed(0)
    G = build_network(GENERATORS, "dcgan", {"width": 16, "conditional": True}, "G", spec=SPEC, z_dim=4).eval()
    with torch.no_grad():
        for m in G.modules():
            if isinstance(m, ConditionalBatchNorm):
                m.beta.weight.normal_()
    noise = torch.randn(3, 4)
    a, b = G(torch.cat([noise, torch.zeros(3, 1)], 1)), G(torch.cat([noise, torch.full((3, 1), 7.0)], 1))
    assert a.shape == (3, 1, 8, 8) and (a - b).abs().max() > 1e-3


def test_projection_critic_adds_the_inner_product_of_class_embedding_and_features():
    torch.manual_seed(0)
    D = build_network(DISCRIMINATORS, "dcgan", {"width": 16, "norm": "layer", "conditional": "projection"}, "D",
                      spec=SPEC, z_dim=4)
    x, y = torch.randn(5, 1, 8, 8), torch.tensor([0, 3, 3, 9, 1])
    phi = D.features(x)
    assert_close(D(x, y), D.head(phi).squeeze(1) + (D.embed.weight[y] * phi).sum(1))
    assert_close(D(x), D.head(phi).squeeze(1))  # without labels: the unconditional part


def test_acgan_critic_returns_scores_and_class_logits():
    D = build_network(DISCRIMINATORS, "dcgan", {"width": 16, "conditional": "acgan"}, "D", spec=SPEC, z_dim=4)
    score, logits = D(torch.randn(5, 1, 8, 8), with_classes=True)
    assert score.shape == (5,) and logits.shape == (5, 10) and D(torch.randn(5, 1, 8, 8)).shape == (5,)


def test_sample_z_carries_balanced_classes_and_with_class_sets_one(tmp_path):
    exp = build_experiment(tiny(CGAN, tmp_path), SPEC)
    z = exp.objective.sample_z(100, torch.Generator().manual_seed(0))
    assert z.shape == (100, 9)
    classes = exp.objective.requested_classes(z)
    assert torch.equal(classes, torch.arange(100) // 10)  # one class per row of a 10-wide grid
    assert torch.equal(exp.objective.requested_classes(exp.objective.with_class(z, 3)), torch.full((100,), 3))
    assert_close(exp.objective.with_class(z, 3)[:, :-1], z[:, :-1])
    with pytest.raises(ConfigError, match="classes are 0 to 9"):
        exp.objective.with_class(z, 10)


def test_interleaving_balances_every_prefix():
    classes = torch.arange(2500) * 10 // 2500
    order = interleave_by_class(classes)
    assert torch.equal(torch.bincount(classes[order][:797], minlength=10).min(), torch.tensor(79))
    assert torch.equal(order.sort().values, torch.arange(2500))


@pytest.mark.parametrize("overrides, message", [
    (["model.D.options.conditional=none"], "needs a D that reads labels"),
    (["model.G.options.conditional=false"], "needs a class-conditional G"),
])
def test_half_conditional_configs_are_errors(tmp_path, overrides, message):
    with pytest.raises(ConfigError, match=message):
        build_experiment(tiny(CGAN, tmp_path, *overrides), SPEC)


def test_unlabelled_data_is_an_error(tmp_path):
    cfg = tiny(TINY_TOY, tmp_path, "model.D.options={hidden: 8, conditional: projection}")
    with pytest.raises(ConfigError, match="unknown option model.D.options.conditional"):
        build_experiment(cfg, load_dataset("ring8").spec)  # the MLP critic reads no labels
    with pytest.raises(ConfigError, match="needs labelled data; dataset ring8 has no labels"):
        build_network(GENERATORS, "dcgan", {"conditional": True}, "G",
                      spec=DataSpec("ring8", (1, 8, 8)), z_dim=2)


@pytest.mark.parametrize("critic", ["projection", "acgan"])
def test_conditional_run_trains_evaluates_and_samples_by_class(tmp_path, capsys, critic):
    import yaml

    cfg = {**copy.deepcopy(CGAN), "out_dir": str(tmp_path / "runs"), "log": {**CGAN["log"], "eval_every": 6}}
    cfg["model"]["D"] = {**CGAN["model"]["D"], "options": {**CGAN["model"]["D"]["options"], "conditional": critic}}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert cli.main(["train", "--config", str(path)]) == 0
    run_dir = next((tmp_path / "runs").iterdir())
    lines = (run_dir / "metrics.jsonl").read_text()
    assert '"digits/class_acc"' in lines and '"digits/class_fd"' in lines
    if critic == "acgan":
        assert '"class_loss"' in lines
    assert cli.main(["sample", str(run_dir), "-n", "20", "--class", "3", "-o", str(tmp_path / "three.png")]) == 0
    assert cli.main(["sample", str(run_dir), "-n", "20", "-o", str(tmp_path / "rows.png")]) == 0
    from PIL import Image

    assert Image.open(tmp_path / "rows.png").size[0] < Image.open(tmp_path / "three.png").size[0]  # 2 per row vs 5
    capsys.readouterr()
