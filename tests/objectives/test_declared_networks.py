"""What a config builds from an objective's declarations: networks, penalties and constraints a preset set for
another objective are dropped, a name the user wrote is an error, an optional network may be left out; and the
edges around them (a Config handed back to the API, a plugin that fails, a malformed old checkpoint)."""
import pytest
from torch import nn

from gankit.api import build_run_config, resolve_config
from gankit.config import build_config
from gankit.data import load_dataset
from gankit.errors import CheckpointError, ConfigError
from gankit.objectives import (OBJECTIVES, Capabilities, NetworkSlot, Objective, build_constraints, build_objective,
                               complete_networks)
from gankit.presets import load_preset


def built(cfg):
    objective = build_objective(cfg, load_dataset(cfg.data.name).spec)
    return objective, build_constraints(cfg, objective)


@pytest.mark.parametrize("preset, objective, networks", [("digits-r1-gan", "vae", {"G", "E"}),
                                                         ("digits-wgan-clip", "ign", {"f"}),
                                                         ("ring8-wgan-gp", "ebm", {"U"})])
def test_what_a_preset_set_for_another_objective_is_dropped(preset, objective, networks):
    cfg = build_run_config(preset, sets=[f"objective.name={objective}"])
    net, constraints = built(cfg)
    assert set(net.nets) == networks == set(cfg.model.networks) == set(cfg.optim)
    assert cfg.penalties == [] or net.capabilities.penalties
    assert all(c.network in networks for c in cfg.constraints) and set(constraints) == networks


def test_a_network_the_user_wrote_is_an_error_even_when_the_objective_changes(tmp_path):
    layer = tmp_path / "mine.yaml"
    layer.write_text("model: {G: {options: {hidden: 64}}}\n")
    cfg = build_config(load_preset("ring8-wgan-gp"), [layer], ["objective.name=ign"])
    with pytest.raises(ConfigError, match="model.G: objective ign has no network 'G'"):
        built(cfg)


def test_a_config_handed_back_to_the_api_keeps_what_it_inherited():
    cfg = resolve_config(build_run_config("ring8-wgan-gp", sets=["objective.name=ign"]))
    assert set(built(cfg)[0].nets) == {"f"}


def test_an_optional_critic_left_out_is_no_critic(monkeypatch):
    class OptionalCritic(Objective):
        networks = {"G": NetworkSlot("generator"), "D": NetworkSlot("discriminator", optional=True)}
        capabilities = Capabilities(critic="D")

        def phases(self):
            return []

    monkeypatch.setitem(OBJECTIVES._items, "optional-critic", OptionalCritic)
    without = build_config({"data": {"name": "ring8"}, "objective": {"name": "optional-critic"},
                            "model": {"G": {"name": "mlp"}}})
    complete_networks(without)
    assert set(without.model.networks) == set(without.optim) == {"G"}  # the optional D: not built, no optimizer
    objective = OptionalCritic({"G": nn.Linear(2, 2)}, z_dim=2)
    assert objective.critic_module() is None and objective.critic_field({"G": objective.nets["G"]}) is None
    assert objective.critic_value(objective.sample_z(3)) is None


def test_a_plugin_that_fails_is_one_line(tmp_path):
    from gankit.plugins import load_plugins

    bad = tmp_path / "bad_plugin.py"
    bad.write_text("raise RuntimeError('boom')\n")
    with pytest.raises(ConfigError, match="importing it raised RuntimeError: boom"):
        load_plugins([str(bad)])
    with pytest.raises(ConfigError, match="cannot import it"):
        load_plugins(["no_such_gankit_plugin_module"])


def test_a_format_1_checkpoint_with_a_malformed_objective_is_a_checkpoint_error(tmp_path):
    from gankit.training.upgrade import upgrade

    for section in ("ign", {"name": 5}):
        with pytest.raises(CheckpointError, match="config.objective.name"):
            upgrade({}, {"format": 1, "config": {"objective": section}}, tmp_path / "x.safetensors")
