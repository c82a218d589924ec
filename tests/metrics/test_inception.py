"""The Inception path: a clear message without the extra, and the real-feature cache (tested with a
stand-in extractor, since Inception weights are never downloaded)."""
import importlib.util

import pytest
import torch

from gankit.errors import GankitError
from gankit.metrics import inception


def test_without_extra_or_weights_the_message_says_what_to_do(tmp_path):
    with pytest.raises(GankitError, match=r"gankit\[inception\]|--inception-weights"):
        inception.inception_extractor(None)
    with pytest.raises(GankitError, match=r"gankit\[inception\]|no such file"):
        inception.inception_extractor(str(tmp_path / "missing.pth"))


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


@pytest.mark.skipif(importlib.util.find_spec("torch_fidelity") is None, reason="the inception extra is not installed")
def test_extractor_needs_local_weights():
    with pytest.raises(GankitError, match="--inception-weights"):
        inception.inception_extractor(None)
