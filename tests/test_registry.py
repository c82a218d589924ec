import pytest

from gankit.errors import ConfigError
from gankit.registry import Registry, did_you_mean


def test_get_suggests_the_closest_name():
    reg = Registry("objectives")
    reg.register("wgan-gp")(object)
    reg.register("hinge")(object)
    with pytest.raises(ConfigError, match=r"unknown objective 'wgan_gp'; did you mean 'wgan-gp'\? \(gankit list objectives\)"):
        reg.get("wgan_gp")
    assert reg.names() == ["hinge", "wgan-gp"]


def test_double_registration_is_refused():
    reg = Registry("things")
    reg.register("a")(object)
    with pytest.raises(ValueError):
        reg.register("a")(object)


@pytest.mark.parametrize("typo, meant", [("wgan-gq", "wgan-gp"), ("wgna-gp", "wgan-gp"), ("wgan-g", "wgan-gp"),
                                         ("WGAN-GP", "wgan-gp"), ("mpl", "mlp"), ("hinje", "hinge"), ("r1-gann", "r1-gan")])
def test_a_one_letter_slip_gets_the_name_meant(typo, meant):
    assert did_you_mean(typo, ["wgan-gp", "wgan-div", "hinge", "mlp", "r1-gan", "ring8-sngan-resnet"]) == \
        f"; did you mean {meant!r}?"


@pytest.mark.parametrize("far", ["no-such-preset", "xyz", "sngan", "banana-gan"])
def test_a_name_with_no_close_match_gets_no_suggestion(far):
    choices = ["ring8-sngan-resnet", "digits-sngan-resnet", "ring8-wgan-gp", "digits-cgan", "mlp"]
    assert did_you_mean(far, choices) == ""
    reg = Registry("presets")
    for name in choices:
        reg.register(name)(object)
    with pytest.raises(ConfigError) as err:
        reg.get(far)
    assert str(err.value) == f"unknown preset {far!r} (gankit list presets)"
