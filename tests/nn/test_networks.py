import pytest
import torch
from torch.testing import assert_close

from gankit.data import DataSpec
from gankit.errors import ConfigError
from gankit.nn import DISCRIMINATORS, GENERATORS, build_network


def image_spec(c, r):
    return DataSpec("test", (c, r, r), num_classes=0, bounded=True)


SMALL_G = {"dcgan": {"width": 32}, "mlp": {"hidden": 32}, "resmlp": {"hidden": 32},
           "sngan-cnn": {"width": 32}, "sngan-resnet": {"width": 16}}
SMALL_D = {**SMALL_G, "dcgan": {"width": 32, "norm": "layer"}}


@pytest.mark.parametrize("name", GENERATORS.names())
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("res", [8, 16, 32, 64])
def test_every_network_any_channels_and_resolution(name, channels, res):
    spec = image_spec(channels, res)
    G = build_network(GENERATORS, name, SMALL_G[name], "G", spec=spec, z_dim=5)
    D = build_network(DISCRIMINATORS, name, SMALL_D[name], "D", spec=spec, z_dim=5)
    x = G(torch.randn(3, 5))
    assert x.shape == (3, channels, res, res)
    assert x.abs().max() <= 1.0  # tanh output for bounded data
    assert D(x).shape == (3,)


@pytest.mark.parametrize("upsample", ["convtranspose", "nearest"])
@pytest.mark.parametrize("kernel_size", [4, 5])
def test_dcgan_upsampling_choices(upsample, kernel_size):
    G = build_network(GENERATORS, "dcgan", {"width": 16, "upsample": upsample, "kernel_size": kernel_size}, "G",
                      spec=image_spec(2, 32), z_dim=4)
    assert G(torch.randn(2, 4)).shape == (2, 2, 32, 32)


@pytest.mark.parametrize("norm", ["batch", "layer", "none"])
def test_dcgan_discriminator_norms(norm):
    D = build_network(DISCRIMINATORS, "dcgan", {"width": 16, "norm": norm}, "D", spec=image_spec(1, 16), z_dim=4)
    assert D(torch.randn(4, 1, 16, 16)).shape == (4,)
    kinds = {type(m).__name__ for m in D.modules()}
    assert ("BatchNorm2d" in kinds) == (norm == "batch") and ("GroupNorm" in kinds) == (norm == "layer")


def test_layer_norm_critic_is_per_sample():
    """A sample's critic value must not depend on the rest of the batch (gradient penalties assume it)."""
    D = build_network(DISCRIMINATORS, "dcgan", {"width": 16, "norm": "layer"}, "D", spec=image_spec(1, 16), z_dim=4)
    x = torch.randn(4, 1, 16, 16)
    torch.testing.assert_close(D(x)[:1], D(x[:1]))


def test_mlp_on_vectors_is_unbounded():
    spec = DataSpec("v", (2,), bounded=False)
    G = build_network(GENERATORS, "mlp", {}, "G", spec=spec, z_dim=2)
    assert not isinstance(G.net[-1], torch.nn.Tanh)


def test_bad_network_inputs():
    with pytest.raises(ConfigError, match="resolution 12 is not a power of two from 8 to 1024"):
        build_network(GENERATORS, "dcgan", {}, "G", spec=image_spec(1, 12), z_dim=4)
    with pytest.raises(ConfigError, match="needs image data"):
        build_network(GENERATORS, "dcgan", {}, "G", spec=DataSpec("v", (2,)), z_dim=4)
    with pytest.raises(ConfigError, match=r"unknown option model.G.options.widht; did you mean 'width'"):
        build_network(GENERATORS, "dcgan", {"widht": 3}, "model.G.options", spec=image_spec(1, 8), z_dim=4)
    with pytest.raises(ConfigError, match=r"model.G.options.width: expected int, got 'big'"):
        build_network(GENERATORS, "dcgan", {"width": "big"}, "model.G.options", spec=image_spec(1, 8), z_dim=4)
    with pytest.raises(ConfigError, match="unknown norm 'batchnorm'"):
        build_network(DISCRIMINATORS, "dcgan", {"norm": "batchnorm"}, "D", spec=image_spec(1, 8), z_dim=4)


def conv_channels(net):
    return [m.out_channels for m in net.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]


def test_sngan_cnn_matches_the_papers_cifar_layout():
    """Miyato et al. 2018 table 3 at 32 px: G 512 -> 256 -> 128 -> 64 -> 3, D 64 64 128 128 256 256 512."""
    spec = image_spec(3, 32)
    G = build_network(GENERATORS, "sngan-cnn", {}, "G", spec=spec, z_dim=128)
    D = build_network(DISCRIMINATORS, "sngan-cnn", {}, "D", spec=spec, z_dim=128)
    assert conv_channels(G) == [256, 128, 64, 3]
    assert conv_channels(D) == [64, 64, 128, 128, 256, 256, 512]
    assert D.head.in_features == 512 * 4 * 4


def test_sngan_resnet_critic_ends_at_a_quarter_of_32px():
    D = build_network(DISCRIMINATORS, "sngan-resnet", {"width": 8}, "D", spec=image_spec(3, 32), z_dim=4)
    assert D.net[:-1](torch.randn(2, 3, 32, 32)).shape == (2, 8, 8, 8)
    assert [b.residual[-1].__class__.__name__ for b in D.net[:-1]] == ["AvgPool2d", "AvgPool2d", "Conv2d", "Conv2d"]


@pytest.mark.parametrize("upsample", ["convtranspose", "nearest"])
def test_sngan_generator_upsampling(upsample):
    G = build_network(GENERATORS, "sngan-cnn", {"width": 16, "upsample": upsample}, "G", spec=image_spec(1, 16), z_dim=4)
    kinds = {type(m).__name__ for m in G.modules()}
    assert ("ConvTranspose2d" in kinds) == (upsample == "convtranspose") and ("Upsample" in kinds) == (upsample == "nearest")
    assert G(torch.randn(2, 4)).shape == (2, 1, 16, 16)


def test_residual_mlp_on_vectors():
    spec = DataSpec("v", (2,), bounded=False)
    G = build_network(GENERATORS, "resmlp", {"hidden": 16, "blocks": 3}, "G", spec=spec, z_dim=2)
    D = build_network(DISCRIMINATORS, "resmlp", {"hidden": 16, "blocks": 3}, "D", spec=spec, z_dim=2)
    assert G(torch.randn(5, 2)).shape == (5, 2) and D(torch.randn(5, 2)).shape == (5,)
    assert sum(type(m).__name__ == "ResidualMLPBlock" for m in D.modules()) == 3


def test_self_modulated_generator_starts_near_plain_batchnorm_and_listens_to_z():
    spec = image_spec(1, 16)
    torch.manual_seed(0)
    G = build_network(GENERATORS, "dcgan", {"width": 16, "self_mod": True}, "G", spec=spec, z_dim=4)
    mods = [m for m in G.modules() if type(m).__name__ == "SelfModulatedBatchNorm"]
    assert len(mods) == 2 and not any(isinstance(m, torch.nn.BatchNorm2d) and m.affine for m in G.modules())
    z = torch.randn(6, 4)
    h = torch.randn(6, 16, 4, 4)
    plain = torch.nn.functional.batch_norm(h, None, None, training=True)
    assert (mods[0](h, z) - plain).abs().max() < 0.1  # gamma, beta ~ 0 at init: near identity
    with torch.no_grad():
        mods[0].gamma[-1].bias.fill_(1.0)
    assert_close(mods[0](h, z), 2 * plain, atol=0.1, rtol=0)  # scale (1 + gamma(z))
    with pytest.raises(ConfigError, match="self_mod modulates BatchNorm"):
        build_network(GENERATORS, "dcgan", {"self_mod": True, "norm": "layer"}, "G", spec=spec, z_dim=4)


def test_encoders_and_joint_critics_output_codes_and_scores():
    from gankit.nn import ENCODERS, JOINT_CRITICS

    spec = image_spec(1, 8)
    E = build_network(ENCODERS, "dcgan", {"width": 16}, "E", spec=spec, z_dim=5, outputs=10)
    D = build_network(JOINT_CRITICS, "dcgan", {"width": 16, "joint_hidden": 12}, "D", spec=spec, z_dim=5)
    x = torch.randn(3, 1, 8, 8)
    assert E(x).shape == (3, 10) and D(x, torch.randn(3, 5)).shape == (3,)


def test_joint_critic_dropout_acts_in_training_only_and_keeps_the_weight_names():
    """ALI's critic drops the image and every fusing layer's input in training; in eval mode it is the plain
    critic with the same weights."""
    from gankit.nn import JOINT_CRITICS

    spec, options = image_spec(1, 8), {"width": 16, "joint_hidden": 12, "features": 20}
    torch.manual_seed(0)
    plain = build_network(JOINT_CRITICS, "dcgan", options, "D", spec=spec, z_dim=5)
    dropped = build_network(JOINT_CRITICS, "dcgan", {**options, "dropout": 0.5}, "D", spec=spec, z_dim=5)
    assert list(dropped.state_dict()) == list(plain.state_dict())
    dropped.load_state_dict(plain.state_dict())
    x, z = torch.randn(64, 1, 8, 8), torch.randn(64, 5)
    plain.eval(), dropped.eval()
    assert_close(dropped(x, z), plain(x, z))
    dropped.train()
    assert not torch.allclose(dropped(x, z), dropped(x, z))
    with pytest.raises(ConfigError, match="dropout"):
        build_network(JOINT_CRITICS, "dcgan", {**options, "dropout": 1.0}, "D", spec=spec, z_dim=5)


@pytest.mark.parametrize("name", ["dcgan", "sngan-cnn"])
def test_networks_build_at_256_pixels(name):
    G = build_network(GENERATORS, name, {"width": 16}, "G", spec=image_spec(3, 256), z_dim=4)
    D = build_network(DISCRIMINATORS, name, {"width": 16}, "D", spec=image_spec(3, 256), z_dim=4)
    x = G(torch.randn(2, 4))
    assert x.shape == (2, 3, 256, 256) and D(x).shape == (2,)


def test_maxout_is_the_max_of_its_linear_pieces():
    from gankit.nn.blocks import Maxout

    layer = Maxout(3, 4, pieces=5)
    x = torch.randn(6, 3)
    pieces = (x @ layer.linear.weight.T + layer.linear.bias).view(6, 4, 5)
    assert_close(layer(x), pieces.max(2).values)


def test_mlp_maxout_critic_and_dcgan_init():
    spec = DataSpec("toy", (2,), num_classes=0, bounded=False)
    D = build_network(DISCRIMINATORS, "mlp", {"hidden": 200, "depth": 3, "activation": "maxout", "init": "dcgan"},
                      "D", spec=spec, z_dim=2)
    weights = torch.cat([m.weight.detach().flatten() for m in D.modules() if isinstance(m, torch.nn.Linear)])
    assert D(torch.randn(7, 2)).shape == (7,) and abs(float(weights.std()) - 0.02) < 0.002
    with pytest.raises(ConfigError, match="unknown init 'xavier'"):
        build_network(GENERATORS, "mlp", {"init": "xavier"}, "G", spec=spec, z_dim=2)
