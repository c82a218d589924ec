"""The plain-torch Inception path, tested with random weights (nothing is downloaded): the standard file's
key layout, a clear message without weights, the checksum, FD equal to torchmetrics' on the same network."""
import hashlib

import pytest
import torch
from torch.testing import assert_close

from gankit.errors import GankitError
from gankit.metrics import inception
from gankit.metrics.fid import fd_of_features
from gankit.metrics.inception_net import FIDInceptionV3, NUM_FEATURES, NUM_LOGITS


def test_without_weights_the_message_says_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path))
    monkeypatch.delenv("GANKIT_INCEPTION_WEIGHTS", raising=False)
    with pytest.raises(GankitError, match=r"--inception-weights PATH, set GANKIT_INCEPTION_WEIGHTS.*never downloads"):
        inception.inception_extractor(None)
    with pytest.raises(GankitError, match=r"--inception-weights .*missing.pth: no such file"):
        inception.inception_extractor(str(tmp_path / "missing.pth"))
    monkeypatch.setenv("GANKIT_INCEPTION_WEIGHTS", str(tmp_path / "elsewhere.pth"))
    with pytest.raises(GankitError, match=r"\$GANKIT_INCEPTION_WEIGHTS .*elsewhere.pth: no such file"):
        inception.inception_extractor(None)


def test_key_layout_is_the_standard_files():
    state = FIDInceptionV3().state_dict()
    tensors = [k for k in state if not k.endswith("num_batches_tracked")]
    assert len(tensors) == 94 * 5 + 2  # 94 conv + BatchNorm units, and fc
    for key in ("Conv2d_1a_3x3.conv.weight", "Conv2d_4a_3x3.bn.running_var", "Mixed_5b.branch5x5_2.conv.weight",
                "Mixed_6e.branch7x7dbl_5.bn.bias", "Mixed_7a.branch7x7x3_4.conv.weight",
                "Mixed_7c.branch3x3dbl_3b.bn.running_mean", "fc.bias"):
        assert key in state
    assert state["fc.weight"].shape == (NUM_LOGITS, NUM_FEATURES)
    assert state["Mixed_5b.branch_pool.conv.weight"].shape == (32, 192, 1, 1)


def test_weights_load_from_a_file_with_checksum_and_wrong_layouts_are_refused(tmp_path):
    torch.manual_seed(0)
    state = {k: v for k, v in FIDInceptionV3().state_dict().items() if not k.endswith("num_batches_tracked")}
    path = tmp_path / "pt_inception-2015-12-05-6726825d.pth"
    torch.save(state, path)
    extract, wid = inception.inception_extractor(str(path))
    assert wid == "pt_inception-sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    bad = tmp_path / "bad.pth"
    torch.save({**state, "AuxLogits.fc.weight": torch.zeros(1)}, bad)
    with pytest.raises(GankitError, match="not the pt_inception-2015-12-05 layout .unexpected tensor AuxLogits"):
        inception.inception_extractor(str(bad))


def test_fd_pipeline_matches_torchmetrics_on_the_same_network():
    from torchmetrics.image.fid import FrechetInceptionDistance

    class First64(FIDInceptionV3):
        """The network with its features cut to 64 (two 2048-d eigendecompositions take ~10 s on one core)."""

        def features_and_logits(self, images):
            features, logits = super().features_and_logits(images)
            return features[:, :64], logits

    torch.manual_seed(0)
    model = First64(input_size=75).eval()  # 75 px: the smallest input, to keep the test fast
    model.num_features = 64
    g = torch.Generator().manual_seed(1)
    real = torch.randint(0, 256, (24, 3, 16, 16), generator=g, dtype=torch.uint8)
    fake = (real.float() * 0.6 + 40).round().to(torch.uint8)
    fid = FrechetInceptionDistance(feature=model)
    fid.update(real, real=True)
    fid.update(fake, real=False)
    expected = float(fid.compute())
    extract = inception.extractor_of(model)
    ours = fd_of_features(extract(real.float() / 127.5 - 1)[0], extract(fake.float() / 127.5 - 1)[0])
    assert expected > 0
    assert_close(ours, expected, rtol=1e-4, atol=1e-6)


def test_uint8_rgb_conversion():
    x = torch.tensor([-1.0, 0.0, 1.0]).reshape(1, 1, 1, 3)
    out = inception.to_uint8_rgb(x)
    assert out.dtype == torch.uint8 and out.shape == (1, 3, 1, 3)
    assert out[0, :, 0].tolist() == [[0, 128, 255]] * 3


def test_real_features_are_computed_once_per_fingerprint(tmp_path, monkeypatch):
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path))
    calls = []

    def extract(x):
        calls.append(len(x))
        return x.flatten(1)[:, :4] * 2

    images = torch.rand(6, 3, 8, 8) * 2 - 1
    first = inception.cached_features(images, extract, "stand-in")
    second = inception.cached_features(images, extract, "stand-in")
    other = inception.cached_features(images, extract, "another-extractor")
    assert calls == [6, 6] and torch.equal(first, second) and torch.equal(first, other)
    assert len(list((tmp_path / "features").glob("*.safetensors"))) == 2


def test_inception_score_bounds():
    assert inception.inception_score(torch.zeros(8, NUM_LOGITS), 1)["is"] == pytest.approx(1.0)
    peaked = torch.full((4, NUM_LOGITS), -50.0)
    peaked[torch.arange(4), torch.arange(4)] = 50.0
    assert inception.inception_score(peaked, 1)["is"] == pytest.approx(4.0, rel=1e-6)


def random_batchnorm(model: FIDInceptionV3) -> FIDInceptionV3:
    """BatchNorm statistics away from the identity, so a wrong fold shows."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2), m.running_var.uniform_(0.3, 2.0)
                m.weight.uniform_(0.5, 1.5), m.bias.uniform_(-0.2, 0.2)
    return model.eval()


def test_folding_batchnorm_keeps_the_features_and_leaves_no_batchnorm():
    import copy

    from gankit.metrics.inception_net import fold_batchnorm

    torch.manual_seed(0)
    model = random_batchnorm(FIDInceptionV3(input_size=75))
    folded = fold_batchnorm(copy.deepcopy(model))
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    conv = folded.Mixed_6b.branch7x7dbl_3.conv
    assert conv.bias is not None and conv.weight.is_contiguous(memory_format=torch.channels_last)
    x = torch.rand(3, 3, 75, 75) * 2 - 1
    with torch.no_grad():
        expected, got = model.pool_features(x), folded.pool_features(x)
    assert float(expected.abs().mean()) > 1e-3  # the features are not all zero (a fold could not hide there)
    assert_close(got, expected, atol=1e-5 * float(expected.abs().max()), rtol=1e-4)


class Recording(torch.nn.Module):
    """A stand-in network: features are the mean colour, and each call records its batch and thread count."""
    resize, input_size = "stand-in", 8

    def __init__(self):
        super().__init__()
        self.calls = []

    def features_and_logits(self, images):
        self.calls.append((len(images), torch.get_num_threads(), torch.is_autocast_enabled("cpu")))
        return images.float().mean((2, 3)), None


def test_extractor_batches_in_order_on_its_threads_and_restores_them():
    model = Recording()
    images = torch.rand(10, 3, 4, 4) * 2 - 1
    torch.set_num_threads(1)
    features, logits = inception.extractor_of(model, threads=2, batch=4)(images)
    assert [c[:2] for c in model.calls] == [(4, 2), (4, 2), (2, 2)] and torch.get_num_threads() == 1
    assert logits is None and features.dtype == torch.float64
    assert_close(features, inception.to_uint8_rgb(images).double().mean((2, 3)))  # in the images' order


def test_bf16_is_autocast_recorded_and_cached_apart_and_close_to_fp32():
    torch.manual_seed(0)
    model = random_batchnorm(FIDInceptionV3(input_size=75))
    images = torch.rand(4, 3, 16, 16) * 2 - 1
    fp32, bf16 = inception.extractor_of(model), inception.extractor_of(model, "bf16")
    assert (fp32.precision, bf16.precision) == ("fp32", "bf16")
    assert inception.extractor_key(fp32, "w") == f"w|{fp32.resize}"  # the key earlier versions cached under
    assert inception.extractor_key(bf16, "w") != inception.extractor_key(fp32, "w")
    exact, rounded = fp32(images)[0], bf16(images)[0]
    assert rounded.dtype == torch.float64 and not torch.equal(exact, rounded)  # bf16 really ran
    assert float((rounded - exact).norm() / exact.norm()) < 0.05  # 8-bit mantissas through ~50 layers
    recording = Recording()
    inception.extractor_of(recording, "bf16")(images)
    assert recording.calls[0][2]  # the network ran under autocast
    with pytest.raises(GankitError, match="precision 'fp16': expected one of fp32, bf16"):
        inception.extractor_of(model, "fp16")
