import pytest

from gankit.errors import ConfigError
from gankit.registry import Registry


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
