"""`gankit data`: build datasets: `emoji` from the pinned npm tarballs, `convert` from any images (the
dataset_tool users of StyleGAN2-ADA know)."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ConfigError


def resolution_list(text: str) -> tuple[int, ...]:
    """argparse type: '32' or '16,32,64' (each a supported emoji resolution)."""
    from ..data.emoji import RESOLUTIONS

    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected resolutions such as 32 or 16,32,64, got {text!r}") from None
    bad = [v for v in values if v not in RESOLUTIONS]
    if bad:
        raise argparse.ArgumentTypeError(f"{bad[0]}: the emoji are 64x64; choose from {', '.join(map(str, RESOLUTIONS))}")
    return values


def cmd_emoji(args: argparse.Namespace) -> int:
    from ..data.emoji import PINS, VERSION, data_dir
    from ..data.emoji_build import build_emoji, licences
    from ..data.convert_pixels import parse_background

    tarballs = Path(args.tarballs).expanduser() if args.tarballs else data_dir() / "npm"
    out = Path(args.output).expanduser() if args.output else data_dir()
    missing = [pin for pin in PINS.values() if not (tarballs / pin.tarball).is_file()]
    if missing:
        packages = " ".join(f"{pin.package}@{VERSION}" for pin in missing)
        raise ConfigError(f"no {missing[0].tarball} in {tarballs}: run `make emoji`, or `npm pack {packages}` "
                          f"in {tarballs} (npm comes with Node.js)")
    build_emoji(tarballs, out, args.resolution, args.channels, parse_background(args.background))
    print(f"licences: {licences()}")
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    from ..data.convert import convert, summary_line
    from ..data.convert_pixels import parse_background
    from .common import check_output

    dst = check_output(Path(args.dst), (".zip",), option="DST", make_folders=True)
    if Path(args.src).expanduser().resolve() == dst.resolve():
        raise ConfigError(f"DST {dst}: is SRC; write the dataset to another file")
    summary = convert(Path(args.src), dst, args.resolution, args.channels, args.crop, parse_background(args.background))
    print(summary_line(summary))
    return 0


def add_parser(sub) -> None:
    d = sub.add_parser("data", help="build datasets: the emoji benchmark, or a dataset ZIP from any images",
                       description="Build dataset ZIPs that data.name=zip:PATH (and the emoji datasets) read.")
    actions = d.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    e = actions.add_parser("emoji", help="the emoji datasets from the pinned npm tarballs (make emoji runs this)",
                           description="Check the two npm tarballs (emoji-datasource-google and -twitter 16.0.0) "
                                       "against their pinned integrity and write emoji-google, emoji-twitter and "
                                       "emoji (both) as dataset ZIPs, labels from emoji.json's categories.")
    e.add_argument("--tarballs", metavar="DIR", help="folder holding the .tgz files (default: DATA/npm)")
    e.add_argument("-o", "--output", metavar="DIR",
                   help="where the ZIPs go (default: $GANKIT_DATA, else ~/.cache/gankit/data)")
    e.add_argument("--resolution", type=resolution_list, default=(32,), metavar="R[,R...]",
                   help="16, 32 or 64, or a list (default 32)")
    add_alpha_options(e)
    e.set_defaults(func=cmd_emoji)
    add_convert_parser(actions)


def add_convert_parser(actions) -> None:
    from ..data.convert_pixels import CROPS
    from .common import positive_int

    c = actions.add_parser("convert", help="images (folder, labelled folders, zip, npz, tar) -> a dataset ZIP",
                           description="Convert images into a dataset ZIP (StyleGAN2-ADA / EDM layout, labels in "
                                       "dataset.json) that data.name=zip:DST reads. SRC: a folder (one subfolder per "
                                       "class gives labels), a ZIP, an .npz (x, optional y) or a tar archive (an "
                                       "emoji-datasource npm tarball gives category labels).")
    c.add_argument("src", metavar="SRC", help="folder, .zip, .npz, .tar / .tgz / .tar.gz")
    c.add_argument("dst", metavar="DST.zip", help="the dataset ZIP to write")
    c.add_argument("--resolution", type=positive_int, default=None, metavar="N",
                   help="side of the square output, a power of two (default: the images' own size when they all "
                        "share one square power-of-two size)")
    c.add_argument("--crop", choices=CROPS, default=None,
                   help="non-square images: the central square (center, the default), padded with the background "
                        "(pad), or stretched (stretch); one line says how many were affected")
    add_alpha_options(c, channels_default=None)
    c.set_defaults(func=cmd_convert)


def add_alpha_options(p: argparse.ArgumentParser, channels_default: int | None = 3) -> None:
    p.add_argument("--channels", type=int, choices=[1, 3, 4], default=channels_default,
                   help="1 gray, 3 RGB (alpha composited over --background), 4 RGBA (alpha kept)"
                        + (f" (default {channels_default})" if channels_default else " (default: 1 when every image is "
                                                                                      "gray, else 3)"))
    p.add_argument("--background", default="white",
                   help="what transparent pixels become: white, black, #rrggbb or r,g,b (default white)")
