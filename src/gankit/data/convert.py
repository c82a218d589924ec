"""`gankit data convert SRC DST.zip`: any images -> a dataset ZIP at one resolution and channel count, under
a policy it states: the resolution is the images' own when they share one square power-of-two size (else
--resolution must be given), non-square images are center-cropped, padded or stretched (--crop; one line
says which and how many), alpha is kept (--channels 4) or composited over --background."""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from tqdm import tqdm

from ..errors import ConfigError, DataError
from .dataset_zip import DatasetZipWriter
from .convert_pixels import GRAY_MODES, PixelPolicy, apply_policy, background_name
from .decode import notice
from .pixels import ALPHA_MODES
from .sources import ImageSource, open_source


def image_sizes(source: ImageSource) -> tuple[list[tuple[int, int] | None], list[str]]:
    """Every image's (width, height) and mode from its header (None where unreadable)."""
    sizes, modes = [], []
    for i in range(len(source)):
        try:
            im = source.open(i)
            sizes.append(im.size)
            modes.append(im.mode + ("+alpha" if "transparency" in im.info else ""))
        except DataError:
            sizes.append(None)
            modes.append("")
    return sizes, modes


def is_power_of_two(n: int) -> bool:
    return n >= 4 and not n & (n - 1)


def choose_resolution(sizes: list, asked: int | None, where: str, option: str = "--resolution") -> int:
    """`asked`, else the one square power-of-two size all images share; a ConfigError naming `option`."""
    if asked:
        if not is_power_of_two(asked):
            raise ConfigError(f"{option} {asked}: expected a power of two (>= 4)")
        return asked
    seen = Counter(s for s in sizes if s is not None)
    if not seen:
        raise DataError(f"{where}: none of the {len(sizes)} images is readable")
    if len(seen) > 1:
        common = ", ".join(f"{w}x{h} ({n})" for (w, h), n in seen.most_common(3))
        raise ConfigError(f"{option}: the images have {len(seen)} sizes ({common}{', ...' * (len(seen) > 3)}); "
                          f"choose one with {option} N (non-square ones then follow --crop)")
    (w, h), = seen
    if w != h:
        raise ConfigError(f"{option}: the images are {w}x{h}, not square; choose {option} N and --crop center|pad|stretch")
    if not is_power_of_two(w):
        raise ConfigError(f"{option}: the images are {w}x{w}, not a power of two; choose {option} N (e.g. "
                          f"{1 << (w - 1).bit_length()})")
    return w


def crop_note(sizes: list, crop: str) -> str | None:
    """The one line naming the policy applied to non-square images, or None when all are square."""
    odd = sum(1 for s in sizes if s is not None and s[0] != s[1])
    if not odd:
        return None
    what = {"center": "took the central square", "pad": "padded to a square with the background",
            "stretch": "stretched to a square"}[crop]
    return f"{odd} of {len(sizes)} images are not square: --crop {crop} {what} (choose --crop center|pad|stretch)"


def choose_channels(modes: list[str], asked: int | None) -> int:
    """`asked`, else 1 when every image is gray, else 3 (alpha composited, with a note)."""
    if asked:
        return asked
    if all(m.split("+")[0] in GRAY_MODES and "+alpha" not in m and m != "LA" for m in modes if m):
        return 1
    return 3


def convert(src: Path, dst: Path, resolution: int | None = None, channels: int | None = None, crop: str | None = None,
            background: tuple[int, int, int] = (255, 255, 255), quiet: bool = False) -> dict:
    """Writes DST and returns the summary (count, resolution, channels, classes, skipped with reasons)."""
    source = open_source(src)
    if not len(source):
        raise DataError(f"{source.where}: no images (.png .jpg .jpeg .webp .bmp .tif)")
    sizes, modes = image_sizes(source)
    side = choose_resolution(sizes, resolution, source.where)
    policy = PixelPolicy(side, choose_channels(modes, channels), crop or "center", background)
    note = crop_note(sizes, policy.crop)
    if note:
        notice(note)
    if policy.channels < 4 and any(m in ALPHA_MODES or "+alpha" in m for m in modes):
        notice(f"alpha composited over {background_name(background)} (--background to change; --channels 4 keeps it)")
    unreadable = []
    with DatasetZipWriter(dst) as writer:
        for i in tqdm(range(len(source)), desc="convert", unit="img", disable=quiet, file=sys.stderr):
            try:
                pixels = apply_policy(source.open(i), policy)
            except (DataError, OSError) as err:
                unreadable.append(f"{source.names[i]} ({err.__class__.__name__})")
                continue
            writer.add(pixels, None if source.labels is None else source.labels[i])
        if not len(writer):
            raise DataError(f"{source.where}: none of the {len(source)} images could be read, e.g. {unreadable[0]}")
        writer.write(source.classes, policy.channels, f"gankit data convert {source.where}; {policy.describe()}")
    return {"path": str(dst), "count": len(writer), "resolution": policy.resolution, "channels": policy.channels,
            "classes": source.classes if source.labels is not None else None, "policy": policy.describe(),
            "skipped": source.skipped + unreadable}


def summary_line(summary: dict) -> str:
    classes = summary["classes"]
    labels = f"{len(classes)} labels ({', '.join(classes[:4])}{', ...' * (len(classes) > 4)})" if classes else "no labels"
    skipped = summary["skipped"]
    skip = f"skipped {len(skipped)}" + (f" (e.g. {skipped[0]})" if skipped else "")
    size = Path(summary["path"]).stat().st_size / 1e6
    return (f"wrote {summary['path']} ({size:.1f} MB): {summary['count']} images, {summary['resolution']}x"
            f"{summary['resolution']}, {summary['channels']} channel(s), {labels}, {skip}")
