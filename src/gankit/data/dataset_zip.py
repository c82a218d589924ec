"""Writes the dataset ZIP layout StyleGAN2-ADA's and EDM's dataset tools write (00000/img00000000.png, ...,
dataset.json with {"labels": [[name, class], ...] or null}), which `zip:PATH` and the emoji datasets read.
gankit adds "classes" (the label names), "channels" (4: alpha is part of the data) and "source"."""
from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image


def member_name(index: int) -> str:
    return f"{index // 1000:05d}/img{index:08d}.png"


def png_bytes(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def fixed_time(name: str) -> zipfile.ZipInfo:
    """A member stamped 1980-01-01: the same images give a byte-identical ZIP (checksums can be compared)."""
    return zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))


class DatasetZipWriter:
    """Streams PNGs into a hidden temporary ZIP beside the target; `write` adds dataset.json and renames it
    into place, and leaving the `with` block any other way deletes it: never a half-written dataset."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.tmp = self.path.with_name(f".{self.path.name}.tmp")
        self.names: list[str] = []
        self.labels: list[int | None] = []
        self.zip: zipfile.ZipFile | None = None

    def __enter__(self) -> "DatasetZipWriter":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.zip = zipfile.ZipFile(self.tmp, "w", compression=zipfile.ZIP_STORED)  # PNGs are compressed already
        return self

    def __exit__(self, *exc) -> None:
        if self.zip is not None:  # not written: an error, or no call to write
            self.zip.close()
            self.tmp.unlink(missing_ok=True)

    def add(self, pixels: np.ndarray, label: int | None) -> None:
        self.names.append(member_name(len(self.names)))
        self.zip.writestr(fixed_time(self.names[-1]), png_bytes(pixels))
        self.labels.append(label)

    def __len__(self) -> int:
        return len(self.names)

    def metadata(self, classes: list[str] | None, channels: int, source: str) -> dict:
        labelled = classes is not None and all(label is not None for label in self.labels)
        labels = [[name, label] for name, label in zip(self.names, self.labels)] if labelled else None
        return {"labels": labels, "classes": classes if labelled else None, "channels": channels, "source": source}

    def write(self, classes: list[str] | None, channels: int, source: str) -> None:
        self.zip.writestr(fixed_time("dataset.json"), json.dumps(self.metadata(classes, channels, source), indent=1))
        self.zip.close()
        self.zip = None
        with open(self.tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(self.tmp, self.path)
