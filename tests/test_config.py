import pytest

from gankit.config import OptimizerConfig, build_config, parse_override
from gankit.errors import ConfigError
from gankit.presets import load_preset, preset_names


def test_override_types_and_yaml_float_without_dot():
    cfg = build_config(overrides=["train.steps=7", "optim.D.lr=4e-4", "optim.G.betas=[0, 0.9]", "name=x"])
    assert cfg.train.steps == 7
    assert cfg.optim["D"].lr == pytest.approx(4e-4) and isinstance(cfg.optim["D"].lr, float)
    assert cfg.optim["G"].betas == (0.0, 0.9)
    assert cfg.optim["G"].lr == OptimizerConfig().lr  # untouched neighbour keeps its default


def test_layers_last_wins(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("train: {steps: 11, n_critic: 3}\n")
    cfg = build_config({"train": {"steps": 5}}, [f], ["train.n_critic=4"])
    assert (cfg.train.steps, cfg.train.n_critic) == (11, 4)


def test_unknown_key_names_the_closest():
    with pytest.raises(ConfigError, match=r"unknown config key 'train.stpes'; did you mean 'steps'"):
        build_config(overrides=["train.stpes=5"])


def test_wrong_type_names_field_and_expectation():
    with pytest.raises(ConfigError, match=r"config field train.steps: expected an integer, got 'abc'"):
        build_config(overrides=["train.steps=abc"])
    with pytest.raises(ConfigError, match=r"train.steps: expected an integer, got True"):
        build_config(overrides=["train.steps=true"])


@pytest.mark.parametrize("override, field", [("train.steps=0", "train.steps"), ("train.ema_decay=1.0", "ema_decay"),
                                             ("optim.D.lr=-1", "optim.D.lr"), ("data.batch_size=0", "batch_size")])
def test_range_checks(override, field):
    with pytest.raises(ConfigError, match=field):
        build_config(overrides=[override])


def test_malformed_override():
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        parse_override("train.steps")


def test_unknown_preset_suggests():
    with pytest.raises(ConfigError, match=r"unknown preset 'ring8-wgan'; did you mean 'ring8-wgan-gp'"):
        load_preset("ring8-wgan")


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_is_a_valid_config(name):
    cfg = build_config(load_preset(name))
    assert cfg.name == name


def test_round_trip_through_dict():
    cfg = build_config(load_preset("digits-wgan-clip"))
    again = build_config(cfg.to_dict())
    assert again == cfg


def test_changing_a_component_drops_its_old_options():
    cfg = build_config(load_preset("ring8-wgan-gp"), overrides=["objective.name=ns"])
    assert cfg.objective.name == "ns" and cfg.objective.options == {}
    cfg = build_config(load_preset("ring8-wgan-gp"), overrides=["objective.options={}"])
    assert cfg.objective.options == {}
    cfg = build_config(load_preset("ring8-wgan-gp"), overrides=["objective.options.gp_weight=1"])
    assert cfg.objective.options == {"gp_weight": 1}


def test_another_dataset_keeps_the_other_data_settings():
    """data.name picks a dataset, not a component with options: the batch size (ring8's 256, not the default 64)
    and every other data field outlive it, whatever the order of the overrides."""
    for overrides in (["data.name=grid25"], ["data.mirror=true", "data.name=grid25"]):
        cfg = build_config(load_preset("ring8-wgan-gp"), overrides=overrides)
        assert (cfg.data.name, cfg.data.batch_size, cfg.data.mirror) == ("grid25", 256, "data.mirror=true" in overrides)
    cfg = build_config(load_preset("ring8-wgan-gp"), overrides=["optim.D.name=sgd"])
    assert cfg.optim["D"].betas != [0.5, 0.9]  # an optimizer is a component: adam's betas do not follow to sgd


def test_override_reaches_into_a_list_item():
    base = {"penalties": [{"name": "r1", "weight": 10.0}, {"name": "gp", "weight": 1.0}]}
    cfg = build_config(base, overrides=["penalties.1.weight=0.5", "penalties.0.options={}"])
    assert [(p.name, p.weight) for p in cfg.penalties] == [("r1", 10.0), ("gp", 0.5)]
    with pytest.raises(ConfigError, match=r"config field penalties.2: the list has 2 item\(s\)"):
        build_config(base, overrides=["penalties.2.weight=1"])
