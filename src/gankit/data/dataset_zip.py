"""Writes the dataset ZIP layout StyleGAN2-ADA's and EDM's dataset tools write (00000/img00000000.png, ...,
dataset.json with {"labels": [[name, class], ...] or null}), which `zip:PATH` and the emoji datasets read.
gankit adds "classes" (the label names), "channels" (4: alpha is part of the data) and "source"."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from ..training.checkpoint import write_atomic


def member_name(index: int) -> str:
    return f"{index // 1000:05d}/img{index:08d}.png"


def png_bytes(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


class DatasetZipWriter:
    """Collects encoded images, then writes the ZIP atomically (a failure leaves no half-written file)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.members: list[tuple[str, bytes]] = []
        self.labels: list[int | None] = []

    def add(self, pixels: np.ndarray, label: int | None) -> None:
        self.members.append((member_name(len(self.members)), png_bytes(pixels)))
        self.labels.append(label)

    def __len__(self) -> int:
        return len(self.members)

    def metadata(self, classes: list[str] | None, channels: int, source: str) -> dict:
        labelled = classes is not None and all(label is not None for label in self.labels)
        labels = [[name, label] for (name, _), label in zip(self.members, self.labels)] if labelled else None
        return {"labels": labels, "classes": classes if labelled else None, "channels": channels, "source": source}

    def write(self, classes: list[str] | None, channels: int, source: str) -> None:
        meta = json.dumps(self.metadata(classes, channels, source), indent=1)
        self.path.parent.mkdir(parents=True, exist_ok=True)

        def write(tmp: Path):
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as z:  # PNGs are compressed already
                for name, data in self.members:
                    z.writestr(name, data)
                z.writestr("dataset.json", meta)

        write_atomic(self.path, write)
