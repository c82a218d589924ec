"""The emoji benchmark (T3): 3,786 64x64 RGBA emoji per vendor from the npm packages emoji-datasource-google
(Noto Emoji, Apache-2.0) and emoji-datasource-twitter (Twemoji graphics, CC-BY-4.0), version 16.0.0, fetched by
`make emoji` (npm pack) and converted by `gankit data emoji` into dataset ZIPs under the data folder
($GANKIT_DATA, else ~/.cache/gankit/data). Labels are emoji.json's categories; a skin-tone variant takes its
base emoji's category. Nothing here downloads: the datasets read the converted ZIPs only."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import tarfile
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import DataError
from .base import DATASETS, Dataset, check_resolution

VERSION = "16.0.0"
RESOLUTIONS = (16, 32, 64)
DEFAULT_RESOLUTION = 32
DATA_ENV = "GANKIT_DATA"
IMAGE_FOLDER = "package/img/{vendor}/64/"


@dataclass(frozen=True)
class Pin:
    """The registry's dist record of one tarball (`npm view NAME@VERSION dist`)."""

    package: str
    integrity: str   # sha512-<base64>, npm's subresource-integrity string
    shasum: str      # sha1 hex
    licence: str

    @property
    def tarball(self) -> str:
        return f"{self.package}-{VERSION}.tgz"


PINS = {
    "google": Pin("emoji-datasource-google",
                  "sha512-ZRexfzs7MVoLnmzZmNsO4TKhnAJp5D++Vm6PpUpH/jEQQlemp3l88CjZ+DoZ2faM9R4QxZkOPJCoT8DlPhfQ3A==",
                  "a80ac3e8106cbd4d8648ce758aa099e8827b6157", "Apache-2.0 (Noto Emoji)"),
    "twitter": Pin("emoji-datasource-twitter",
                   "sha512-7F+uCuHH+7Qnrc15P5tnbvKkg9E6tlzi4MnT2uW1RlN4pLYTza6cP/dstIfSDMtpjFLWuZewWg8jBbuL2eyELQ==",
                   "e2bd39a8acb77e158106f8249dd7b4cd93fa1b14", "CC-BY-4.0 (Twemoji graphics)"),
}
DATASET_VENDORS = {"emoji-google": ("google",), "emoji-twitter": ("twitter",), "emoji": ("google", "twitter")}


def data_dir() -> Path:
    """Where converted datasets live: $GANKIT_DATA, else ~/.cache/gankit/data."""
    return Path(os.environ.get(DATA_ENV) or Path.home() / ".cache" / "gankit" / "data").expanduser()


def zip_name(dataset: str, resolution: int, channels: int) -> str:
    return f"{dataset}-{resolution}{'-rgba' if channels == 4 else ''}.zip"


def fetch_hint(pin: Pin, folder: Path) -> str:
    return f"run `make emoji`, or `npm pack {pin.package}@{VERSION}` in {folder}"


def verify_tarball(path: Path, pin: Pin) -> None:
    """The file's sha512 and sha1 against the pinned registry record; a mismatch names both."""
    if not path.is_file():
        raise DataError(f"{path}: no such file; {fetch_hint(pin, path.parent)}")
    sha512, sha1 = hashlib.sha512(), hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha512.update(block)
            sha1.update(block)
    integrity = "sha512-" + base64.b64encode(sha512.digest()).decode()
    if integrity != pin.integrity or sha1.hexdigest() != pin.shasum:
        raise DataError(f"{path}: integrity {integrity[:24]}... (sha1 {sha1.hexdigest()}) is not the pinned "
                        f"{pin.package}@{VERSION} ({pin.integrity[:24]}..., sha1 {pin.shasum}); delete it and "
                        f"{fetch_hint(pin, path.parent)}")


def categories_by_image(entries: list, where: str) -> dict[str, str]:
    """image file name -> category, skin-tone variants included under their base emoji's category."""
    table = {}
    try:
        for entry in entries:
            table[entry["image"]] = entry["category"]
            for variant in (entry.get("skin_variations") or {}).values():
                table[variant["image"]] = entry["category"]
    except (TypeError, KeyError, AttributeError) as err:
        raise DataError(f"{where}: package/emoji.json entries need 'image' and 'category' ({err!r})") from None
    return table


def read_emoji_tarball(path: Path, vendor: str) -> list[tuple[str, bytes, str]]:
    """(image name, PNG bytes, category) of every 64x64 image of `vendor` in the tarball, sorted by name;
    members are read in memory, never extracted."""
    folder = IMAGE_FOLDER.format(vendor=vendor)
    try:
        with tarfile.open(path, "r:*") as tar:
            members = {m.name: m for m in tar.getmembers() if m.isfile()}
            if "package/emoji.json" not in members:
                raise DataError(f"{path}: no package/emoji.json (not an emoji-datasource tarball)")
            table = categories_by_image(json.load(tar.extractfile(members["package/emoji.json"])), str(path))
            names = sorted(n for n in members if n.startswith(folder) and n.endswith(".png"))
            if not names:
                raise DataError(f"{path}: no images under {folder}")
            unknown = [n for n in names if n[len(folder):] not in table]
            if unknown:
                raise DataError(f"{path}: {unknown[0]} is not listed in package/emoji.json")
            return [(n[len(folder):], tar.extractfile(members[n]).read(), table[n[len(folder):]]) for n in names]
    except (tarfile.TarError, OSError, ValueError) as err:  # a damaged archive, or emoji.json not JSON
        raise DataError(f"{path}: not a readable emoji tarball ({err.__class__.__name__}: {err})") from None


def emoji_dataset(dataset: str, arg: str, resolution: int, stream: bool, workers: int, channels: int = 0) -> Dataset:
    """The converted ZIP of `dataset` (RGB, or RGBA for DATASET:rgba), read by the ZIP loader's rules: channels
    as the PNGs have them unless `channels` (data.channels) names another layout."""
    from .archives import image_zip

    if arg not in ("", "rgba"):
        raise DataError(f"dataset {dataset}:{arg}: the only option is {dataset}:rgba (alpha kept as a 4th channel)")
    check_resolution(resolution, f"dataset {dataset}")
    resolution = resolution or DEFAULT_RESOLUTION
    stored = 4 if arg == "rgba" else 3
    path = data_dir() / zip_name(dataset, resolution, stored)
    if not path.is_file():
        make = "make emoji" + (f" EMOJI_RESOLUTION={resolution}" if resolution != DEFAULT_RESOLUTION else "")
        make += " EMOJI_CHANNELS=4" if stored == 4 else ""
        raise DataError(f"dataset {dataset}: no {path}; build it with `{make}` (npm pack, then gankit data emoji), "
                        f"or set ${DATA_ENV} to the folder holding it")
    loaded = image_zip(str(path), resolution, stream, workers, channels)
    loaded.spec = replace(loaded.spec, name=f"{dataset}:{arg}" if arg else dataset)
    return loaded


def register(dataset: str) -> None:
    vendors = " and ".join(DATASET_VENDORS[dataset])

    def build(arg: str = "", resolution: int = 0, stream: bool = False, workers: int = 0, channels: int = 0) -> Dataset:
        return emoji_dataset(dataset, arg, resolution, stream, workers, channels)

    build.__doc__ = (f"Emoji by {vendors} (npm emoji-datasource {VERSION}), 32x32 RGB over white unless "
                     f"data.resolution is 16 or 64; {dataset}:rgba keeps alpha; built by `make emoji`.")
    DATASETS.register(dataset)(build)


for _name in DATASET_VENDORS:
    register(_name)
