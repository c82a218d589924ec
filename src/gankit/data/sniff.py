"""What a data file looks like, from its first bytes: for errors that point to the right dataset kind."""
from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

IDX_MAGIC_PREFIX = b"\x00\x00\x08"  # MNIST idx: two zero bytes, dtype 0x08 (unsigned byte), then ndim


def _describe(head: bytes, path: Path) -> str | None:
    if head.startswith(IDX_MAGIC_PREFIX) and len(head) > 3 and 1 <= head[3] <= 4:
        return "an MNIST / Fashion-MNIST idx file: use data.name=mnist:PATH"
    if len(head) > 262 and head[257:262] == b"ustar":
        return "a tar archive (CIFAR python version? use data.name=cifar10:PATH or cifar100:PATH)"
    if head[:1] == b"\x80" and len(head) > 1 and 2 <= head[1] <= 5:
        return "a Python pickle (a CIFAR batch? use data.name=cifar10:PATH or cifar100:PATH on its folder)"
    if head.startswith(b"\x93NUMPY"):
        return "a single .npy array: save it with numpy.savez(PATH, x=array)"
    if head.startswith(b"\x89PNG") or head.startswith(b"\xff\xd8\xff"):
        return "one image: put images in a folder and use data.name=folder:DIR"
    if not head:
        return "an empty file"
    if all(32 <= b < 127 or b in b"\t\n\r" for b in head):
        return "a text file (an .npz is a ZIP of .npy arrays, as numpy.savez writes)"
    return None


def looks_like(path: Path) -> str | None:
    """A phrase naming the file's real format and the dataset kind that reads it, or None."""
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError:
        return None
    if head.startswith(b"\x1f\x8b"):
        try:
            with gzip.open(path, "rb") as f:
                inner = _describe(f.read(512), path)
        except (OSError, EOFError):
            inner = None
        return f"a gzip file holding {inner}" if inner else "a gzip file"
    if head.startswith(b"PK\x03\x04") and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
        if not any(n.endswith(".npy") for n in names):
            return "a ZIP of images (StyleGAN2-ADA / EDM layout): use data.name=zip:PATH"
        return None
    return _describe(head, path)
