"""Inception-v3 features for real image data, through torch-fidelity (the optional `inception` extra), from
a local weights file only; real-data features are cached by a fingerprint of the images and the weights."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable

import torch
from safetensors.torch import load_file, save_file

from ..errors import GankitError
from ..train.checkpoint import write_atomic

EXTRA_HINT = ("Inception features need the optional extra: pip install 'gankit[inception]' "
              "(torch-fidelity, which needs a working torchvision)")


def cache_dir() -> Path:
    return Path(os.environ.get("GANKIT_CACHE", Path.home() / ".cache" / "gankit")) / "features"


def to_uint8_rgb(x: torch.Tensor) -> torch.Tensor:
    """[N, C, H, W] in [-1, 1] -> uint8 [N, 3, H, W]; one channel is repeated, more than three cut to three."""
    x = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    if x.shape[1] == 1:
        return x.expand(-1, 3, -1, -1)
    if x.shape[1] == 2:
        return torch.cat([x, x[:, :1]], dim=1)
    return x[:, :3]


def inception_extractor(weights_path: str | None) -> Callable[[torch.Tensor], torch.Tensor]:
    """images in [-1, 1] -> 2048-d pool features, from `weights_path` (never downloaded)."""
    try:
        from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3
    except Exception as err:  # ImportError, or torchvision failing to load its CUDA ops
        raise GankitError(f"{EXTRA_HINT}; importing it failed: {err.__class__.__name__}") from None
    if not weights_path:
        raise GankitError("Inception features need --inception-weights PATH (the pt_inception-2015-12-05 weights "
                          "file); gankit never downloads weights")
    if not Path(weights_path).is_file():
        raise GankitError(f"--inception-weights {weights_path}: no such file")
    model = FeatureExtractorInceptionV3("inception-v3-compat", ["2048"], feature_extractor_weights_path=str(weights_path))
    model.eval()

    @torch.no_grad()
    def extract(x: torch.Tensor) -> torch.Tensor:
        return torch.cat([model(to_uint8_rgb(part))[0] for part in x.split(64)])

    return extract


def fingerprint(images: torch.Tensor, extractor_id: str) -> str:
    """SHA-256 of the images' bytes, their shape and the extractor's identity."""
    h = hashlib.sha256(to_uint8_rgb(images).contiguous().numpy().tobytes())
    h.update(f"{list(images.shape)}|{extractor_id}".encode())
    return h.hexdigest()[:16]


def cached_features(images: torch.Tensor, extract: Callable, extractor_id: str) -> torch.Tensor:
    """Features of real images, computed once per (images, extractor) and then read from the cache."""
    path = cache_dir() / f"{fingerprint(images, extractor_id)}.safetensors"
    if path.exists():
        return load_file(str(path))["features"]
    features = extract(images).double().contiguous()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda tmp: save_file({"features": features}, str(tmp)))
    return features


def weights_id(weights_path: str) -> str:
    return "inception-" + hashlib.sha256(Path(weights_path).read_bytes()).hexdigest()[:8]
