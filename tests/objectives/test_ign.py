"""IGN: each loss term sends its gradient where section 11 says, against the paper's frozen-copy recipe."""
import copy

import pytest
import torch
from torch.testing import assert_close

from gankit.data import DataSpec, load_dataset
from gankit.errors import ConfigError
from gankit.training.experiment import build_experiment
from gankit.nn import DATA_MAPS, build_network
from gankit.objectives.ign import distance

from ..conftest import TINY_DIGITS, TINY_TOY, tiny

TINY_IGN_DIGITS = {**TINY_DIGITS, "objective": {"name": "ign"},
                   "model": {"z_dim": 8, "f": {"name": "dcgan-ae", "options": {"width": 16}}},
                   "optim": {"f": {"name": "adam", "lr": 1e-4}}, "train": {**TINY_DIGITS["train"], "n_critic": 1}}
TINY_IGN_TOY = {**TINY_TOY, "objective": {"name": "ign"},
                "model": {"z_dim": 2, "f": {"name": "mlp-ae", "options": {"hidden": 16, "depth": 2}}},
                "optim": {"f": {"name": "adam", "lr": 1e-4}}}


def grads_of(loss, f):
    f.zero_grad(set_to_none=True)
    loss.backward()
    return {k: p.grad.clone() if p.grad is not None else torch.zeros_like(p) for k, p in f.named_parameters()}


def paper_terms(f, x, z, clamp=1.5, scale="noise"):
    """The paper's recipe (Shocher et al. 2023, Fig. 2 source): an explicit copy f_copy re-synced to f; the clamp
    scaled by a L_rec(z) = a |f(z) - z| (scale noise) or by the paired real sample's |f(x) - x| (scale real)."""
    f_copy = copy.deepcopy(f).requires_grad_(False)
    f_x, f_z = f(x), f(z)
    f_z_stopped = f_z.detach()
    rec = (f_x - x).abs().flatten(1).mean(1)
    idem = (f_copy(f_z) - f_z).abs().flatten(1).mean(1)
    tight = -(f(f_z_stopped) - f_z_stopped).abs().flatten(1).mean(1)
    reference = (f_z_stopped - z).abs().flatten(1).mean(1) if scale == "noise" else rec.detach()
    tight = torch.tanh(tight / (clamp * reference)) * clamp * reference
    return {"rec": rec, "idem": idem, "tight": tight}, f_copy


@pytest.mark.parametrize("scale", ["noise", "real"])
@pytest.mark.parametrize("base", [TINY_IGN_DIGITS, TINY_IGN_TOY], ids=["digits-dcgan-ae", "ring8-mlp-ae"])
def test_each_term_sends_gradient_only_where_section_11_says(tmp_path, base, scale):
    cfg = tiny(base, tmp_path, f"objective.options={{clamp_scale: {scale}}}")
    dataset = load_dataset(cfg.data.name)
    objective = build_experiment(cfg, dataset.spec).objective
    f = objective.nets["f"]
    x = dataset.batches(16).next()[0]
    z = objective.sample_z(16, torch.Generator().manual_seed(0))
    assert z.shape == x.shape  # noise shaped like the data
    for name in ("rec", "idem", "tight"):
        ours = grads_of(objective.terms(x, z)[name].mean(), f)
        theirs_terms, f_copy = paper_terms(f, x, z, scale=scale)
        theirs = grads_of(theirs_terms[name].mean(), f)
        for key in ours:
            assert_close(ours[key], theirs[key], rtol=1e-4, atol=1e-7, msg=f"{name}: {key}")
        assert all(p.grad is None for p in f_copy.parameters())  # nothing reaches the frozen copy
    # idem moves f only through its inner application: with f(z) frozen too, no gradient is left
    f_z = f(z).detach()
    idem_frozen_inner = distance(copy.deepcopy(f).requires_grad_(False)(f_z), f_z, "l1").mean()
    assert not idem_frozen_inner.requires_grad


def test_tightness_is_clamped_by_the_noise_own_reconstruction_loss(tmp_path):
    cfg = tiny(TINY_IGN_TOY, tmp_path)
    objective = build_experiment(cfg, load_dataset("ring8").spec).objective
    x, z = torch.randn(32, 2) * 0.7, torch.randn(32, 2) * 3
    terms = objective.terms(x, z)
    with torch.no_grad():
        f = objective.nets["f"]
        f_z = f(z)
        raw = (f(f_z) - f_z).abs().mean(1)
        bound = 1.5 * (f_z - z).abs().mean(1)  # a L_rec(z), L_rec(z) = |f(z) - z|
    assert_close(terms["tight"].detach(), -torch.tanh(raw / bound) * bound)
    assert (terms["tight"] <= 0).all() and (terms["tight"].abs() <= bound + 1e-6).all()
    # the paired real sample's loss as the scale instead (clamp_scale real): bounded by 1.5 |f(x) - x|
    cfg_real = tiny(TINY_IGN_TOY, tmp_path, "objective.options={clamp_scale: real}")
    real = build_experiment(cfg_real, load_dataset("ring8").spec).objective
    real.nets["f"].load_state_dict(f.state_dict())
    terms_real = real.terms(x, z)
    real_bound = 1.5 * terms_real["rec"].detach()
    assert_close(terms_real["tight"].detach(), -torch.tanh(raw / real_bound) * real_bound)
    # tight_clamp 0 switches the clamp off: the raw tightness
    cfg_off = tiny(TINY_IGN_TOY, tmp_path, "objective.options={tight_clamp: 0}")
    off = build_experiment(cfg_off, load_dataset("ring8").spec).objective
    off.nets["f"].load_state_dict(f.state_dict())
    assert_close(off.terms(x, z)["tight"].detach(), -raw)


def test_an_unknown_clamp_scale_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="clamp_scale"):
        build_experiment(tiny(TINY_IGN_TOY, tmp_path, "objective.options={clamp_scale: batch}"), load_dataset("ring8").spec)


def test_sampling_applies_f_and_the_networks_keep_the_data_shape(tmp_path):
    spec = DataSpec("digits", (1, 8, 8), num_classes=10)
    f = build_network(DATA_MAPS, "dcgan-ae", {"width": 16}, "model.G.options", spec=spec, z_dim=8)
    assert f(torch.randn(3, 1, 8, 8)).shape == (3, 1, 8, 8)
    exp = build_experiment(tiny(TINY_IGN_DIGITS, tmp_path, "objective.options={applications: 2}"), spec)
    z = exp.objective.sample_z(4, torch.Generator().manual_seed(0))
    G = exp.objective.nets["f"].eval()
    assert_close(exp.generate(z, use_ema=False), G(G(z)))


def test_ign_refuses_penalties_and_unknown_distances(tmp_path):
    spec = load_dataset("ring8").spec
    with pytest.raises(ConfigError, match="takes no critic penalties"):
        build_experiment(tiny(TINY_IGN_TOY, tmp_path, "penalties=[{name: r1}]"), spec)
    with pytest.raises(ConfigError, match="distance: 'l3'"):
        build_experiment(tiny(TINY_IGN_TOY, tmp_path, "objective.options={distance: l3}"), spec)


def test_ign_trains_and_samples_with_apply(tmp_path, capsys):
    import yaml

    from gankit import cli

    path = tmp_path / "ign.yaml"
    path.write_text(yaml.safe_dump({**TINY_IGN_DIGITS, "out_dir": str(tmp_path / "runs")}))
    assert cli.main(["train", "--config", str(path)]) == 0
    run_dir = next((tmp_path / "runs").iterdir())
    assert cli.main(["sample", str(run_dir), "-n", "5", "--apply", "3", "-o", str(tmp_path / "chain.png")]) == 0
    out = capsys.readouterr().out
    assert "mean |f^3(z) - f^2(z)|" in out and "wrote 15 samples" in out
