"""Samples as a folder of numbered PNG files, the layout torch-fidelity, clean-fid and gankit's own
`folder:` dataset read, written chunk by chunk so that 50,000 samples never sit in memory at once."""
from __future__ import annotations

import os
from pathlib import Path

import torch
from PIL import Image
from tqdm import tqdm

from .errors import ConfigError
from .viz import to_uint8

CHUNK = 500  # samples generated and written per step


def write_png_folder(exp, z: torch.Tensor, out_dir: Path, use_ema: bool = True, chunk: int = CHUNK,
                     progress: bool = True) -> int:
    """Generates from z in chunks and writes DIR/000000.png, 000001.png, ...; returns how many were written.
    A folder already holding PNGs is refused: mixing two sample sets would corrupt any metric read from it."""
    if not exp.spec.is_image:
        raise ConfigError(f"--out-dir writes images; this run's data {exp.spec.name} are vectors (use -o FILE.npz)")
    out_dir = Path(out_dir)
    if out_dir.is_dir() and any(out_dir.glob("*.png")):
        raise ConfigError(f"--out-dir {out_dir}: the folder already holds PNG files; choose an empty or new folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    n, width = len(z), max(6, len(str(len(z) - 1)))
    with tqdm(total=n, unit="img", desc=f"writing {out_dir}", disable=not progress, mininterval=0.5) as bar:
        for start in range(0, n, chunk):
            pixels = to_uint8(exp.generate(z[start : start + chunk], use_ema))  # [c, H, W(, 3)]
            for i, a in enumerate(pixels):
                name = f"{start + i:0{width}d}.png"  # via a hidden temporary: a kill never leaves half a PNG
                Image.fromarray(a).save(out_dir / f".{name}.tmp", format="PNG")
                os.replace(out_dir / f".{name}.tmp", out_dir / name)
            bar.update(len(pixels))
    return n
