"""Two image sets compared as the tools users know do (clean-fid's compute_fid(dir1, dir2), StudioGAN's
--dset1 / --dset2): FD, KID, precision / recall and density / coverage in Inception features, and SWD in
pixels, with both counts, the feature network's checksum and the resize beside the values."""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import torch
from tqdm import tqdm

from ..errors import ConfigError, DataError


def read_image_set(path: Path, n: int, resolution: int | None, background: tuple[int, int, int]) -> torch.Tensor:
    """The first n images (all for n = 0) of a folder, ZIP, .npz or tar as RGB [N, 3, R, R] in [-1, 1]: alpha
    over `background`, non-square ones center-cropped, resized (Lanczos) only when `resolution` asks."""
    from ..data.convert import choose_resolution, crop_note, image_sizes
    from ..data.decode import notice
    from ..data.convert_pixels import PixelPolicy, apply_policy
    from ..data.sources import open_source

    source = open_source(path)
    count = min(n, len(source)) if n else len(source)
    if not count:
        raise DataError(f"{path}: no images")
    sizes, _ = image_sizes(replace(source, names=source.names[:count]))  # headers of the images read
    policy = PixelPolicy(choose_resolution(sizes, resolution, source.where), 3, "center", background)
    note = crop_note(sizes, "center")
    if note:
        notice(f"{path}: {note}")
    bar = tqdm(range(count), desc=f"reading {Path(path).name}", unit="img", file=sys.stderr, leave=False)
    pixels = torch.stack([torch.from_numpy(apply_policy(source.open(i), policy).copy()) for i in bar])
    return pixels.permute(0, 3, 1, 2).float() / 127.5 - 1.0


def score_sets(fake: torch.Tensor, real: torch.Tensor, inception: bool, weights: str | None = None,
               resize: str | None = None, cache_fake: bool = False, precision: str = "fp32",
               threads: int | None = None) -> dict:
    """SWD, and with `inception` FD, KID (with its spread over subsets), precision / recall (k 3), density /
    coverage (k 5) in Inception pool features; real features (and fake ones with cache_fake, for files) are
    cached by content, weights, resize and precision (fp32, or bf16 autocast)."""
    from .swd import swd

    if fake.shape[1:] != real.shape[1:]:
        raise ConfigError(f"the two sets hold images of shape {list(fake.shape[1:])} and {list(real.shape[1:])}; "
                          "choose one size with --resolution")
    out = {f"swd/{k}": v for k, v in swd(real, fake).items()}
    out["swd/n"] = min(len(real), len(fake))
    if inception:
        from .digits import feature_set_metrics
        from .inception import cached_features, extractor_key, inception_extractor

        extract, wid = inception_extractor(weights, resize, precision, threads)
        key = extractor_key(extract, wid)
        real_features = cached_features(real, lambda x: extract(x)[0], key)
        fake_features = cached_features(fake, lambda x: extract(x)[0], key) if cache_fake else extract(fake)[0]
        measured = feature_set_metrics(real_features, fake_features, kid=True)
        out.update({f"inception/{k}": v for k, v in measured.items()})
        out.update({"inception/extractor": wid, "inception/resize": extract.resize,
                    "inception/network_dtype": precision})
    return out
