"""`gankit data emoji`: the pinned npm tarballs -> the emoji-google, emoji-twitter and emoji (both vendors)
dataset ZIPs, at each resolution asked for, category labels in dataset.json."""
from __future__ import annotations

import io
import sys
from pathlib import Path

from PIL import Image
from tqdm import tqdm

from .dataset_zip import DatasetZipWriter
from .emoji import DATASET_VENDORS, PINS, VERSION, read_emoji_tarball, verify_tarball, zip_name
from .convert_pixels import PixelPolicy, apply_policy


def read_vendors(tarballs: Path, vendors: tuple[str, ...]) -> dict[str, list[tuple[str, bytes, str]]]:
    """Each vendor's (name, PNG, category), after its tarball's integrity is checked against the pin."""
    out = {}
    for vendor in vendors:
        path = tarballs / PINS[vendor].tarball
        verify_tarball(path, PINS[vendor])
        out[vendor] = read_emoji_tarball(path, vendor)
    return out


def build_emoji(tarballs: Path, out: Path, resolutions: tuple[int, ...], channels: int = 3,
                background: tuple[int, int, int] = (255, 255, 255), quiet: bool = False) -> list[Path]:
    """Writes every dataset of DATASET_VENDORS at every resolution; returns the files written. Labels index the
    sorted category names, the same table in every dataset."""
    images = read_vendors(Path(tarballs), ("google", "twitter"))
    classes = sorted({category for items in images.values() for _, _, category in items})
    written = []
    for resolution in resolutions:
        policy = PixelPolicy(resolution, channels, "center", background)
        converted = {vendor: convert_vendor(items, policy, classes, vendor, quiet) for vendor, items in images.items()}
        for dataset, vendors in DATASET_VENDORS.items():
            with DatasetZipWriter(out / zip_name(dataset, resolution, channels)) as writer:
                for vendor in vendors:
                    for pixels, label in converted[vendor]:
                        writer.add(pixels, label)
                source = f"npm {', '.join(f'{PINS[v].package}@{VERSION}' for v in vendors)}; {policy.describe()}"
                writer.write(classes, channels, source)
            written.append(writer.path)
            if not quiet:
                print(f"wrote {writer.path}: {len(writer)} images, {policy.describe()}, {len(classes)} classes")
    return written


def convert_vendor(items: list[tuple[str, bytes, str]], policy: PixelPolicy, classes: list[str], vendor: str,
                   quiet: bool) -> list:
    index = {c: i for i, c in enumerate(classes)}
    bar = tqdm(items, desc=f"{vendor} {policy.resolution}px", unit="img", disable=quiet, file=sys.stderr)
    return [(apply_policy_bytes(data, policy), index[category]) for _, data, category in bar]


def apply_policy_bytes(data: bytes, policy: PixelPolicy):
    with Image.open(io.BytesIO(data)) as im:
        return apply_policy(im, policy)


def licences() -> str:
    return "; ".join(f"{pin.package}@{VERSION}: {pin.licence}" for pin in PINS.values())
