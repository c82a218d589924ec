"""gankit data convert: folders, labelled folders, ZIPs, npz and tarballs; RGBA, 16-bit, palette and
non-square images; the stated policies."""
import json
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.cli import main
from gankit.data import load_dataset
from gankit.data.convert import convert
from gankit.errors import ConfigError

from .test_emoji import write_tarball


def unit(value: int) -> float:
    return value / 127.5 - 1.0


def labelled_folder(root):
    """cats/: an RGBA image (transparent left half over green RGB) and a 16-bit gray one; dogs/: a palette image
    with a transparent index, and a non-square 32x16 RGB image."""
    (root / "cats").mkdir(parents=True)
    (root / "dogs").mkdir()
    rgba = np.zeros((16, 16, 4), np.uint8)
    rgba[..., 1] = 255
    rgba[:, 8:] = (255, 0, 0, 255)
    Image.fromarray(rgba, "RGBA").save(root / "cats" / "a.png")
    Image.fromarray(np.full((16, 16), 32768, np.uint16)).save(root / "cats" / "b.png")  # half of 16-bit range
    palette = Image.new("P", (16, 16), 1)
    palette.putpalette([0, 0, 255] + [0, 255, 0] * 255)
    palette.save(root / "dogs" / "c.png", transparency=1)  # every pixel transparent
    wide = np.zeros((16, 32, 3), np.uint8)
    wide[:, 8:24] = 100  # the central square is grey 100, the outer quarters black
    Image.fromarray(wide).save(root / "dogs" / "d.png")
    (root / "dogs" / "notes.txt").write_text("not an image")


def test_labelled_folder_with_mixed_modes(tmp_path, capsys):
    labelled_folder(tmp_path / "src")
    summary = convert(tmp_path / "src", tmp_path / "out.zip", resolution=16, quiet=True)
    assert summary["count"] == 4 and summary["channels"] == 3 and summary["classes"] == ["cats", "dogs"]
    assert summary["skipped"] == ["dogs/notes.txt"]
    err = capsys.readouterr().err
    assert "1 of 4 images are not square: --crop center took the central square" in err
    assert "alpha composited over white" in err
    ds = load_dataset(f"zip:{tmp_path / 'out.zip'}")
    assert ds.spec.shape == (3, 16, 16) and ds.labels.tolist() == [0, 0, 1, 1]
    x = ds.x
    assert float(x.min()) >= -1 and float(x.max()) <= 1
    assert torch.allclose(x[0, :, 0, 0], torch.ones(3)), "transparent pixels must become white, not green"
    assert torch.allclose(x[0, :, 0, 15], torch.tensor([1.0, -1.0, -1.0]))
    assert torch.allclose(x[1], torch.full_like(x[1], unit(128)), atol=1e-6), "16-bit 32768 is 8-bit 128, not clipped"
    assert torch.allclose(x[2], torch.ones_like(x[2])), "a palette's transparent index is transparent"
    assert torch.allclose(x[3], torch.full_like(x[3], unit(100)), atol=1e-6)  # center crop: only the grey middle


def test_crop_policies_and_black_background(tmp_path, capsys):
    labelled_folder(tmp_path / "src")
    convert(tmp_path / "src", tmp_path / "pad.zip", 16, crop="pad", background=(0, 0, 0), quiet=True)
    convert(tmp_path / "src", tmp_path / "stretch.zip", 16, crop="stretch", quiet=True)
    assert "--crop pad padded to a square" in capsys.readouterr().err
    pad, stretch = (load_dataset(f"zip:{tmp_path / n}").x for n in ("pad.zip", "stretch.zip"))
    assert torch.allclose(pad[0, :, 0, 0], -torch.ones(3))  # transparent over black
    assert torch.allclose(pad[3, :, 0, 8], -torch.ones(3))  # the pad band (rows 0-3) is the black background
    assert abs(float(pad[3, 0, 8, 8]) - unit(100)) < 0.05  # the image sits in the middle rows
    # stretch keeps the whole width: the black outer quarters appear at both sides
    assert float(stretch[3, 0, 8, 0]) < -0.9 and abs(float(stretch[3, 0, 8, 8]) - unit(100)) < 0.05


def test_resolution_inferred_or_named(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(3):
        Image.new("RGB", (8, 8), (10 * i, 0, 0)).save(src / f"{i}.png")
    (src / "broken.png").write_bytes(b"not a png")
    summary = convert(src, tmp_path / "a.zip", quiet=True)
    assert summary["resolution"] == 8 and summary["classes"] is None and summary["count"] == 3
    assert summary["skipped"] == ["broken.png (DataError)"]  # counted and named, not fatal
    (src / "broken.png").unlink()
    assert load_dataset(f"folder:{src}").spec.shape == (3, 8, 8)  # training infers it the same way
    Image.new("RGB", (16, 16)).save(src / "big.png")
    with pytest.raises(ConfigError, match=r"2 sizes .*choose one with --resolution N"):
        convert(src, tmp_path / "b.zip", quiet=True)
    for f in src.iterdir():
        f.unlink()
    Image.new("RGB", (16, 8)).save(src / "wide.png")
    with pytest.raises(ConfigError, match=r"16x8, not square; choose --resolution N and --crop"):
        convert(src, tmp_path / "c.zip", quiet=True)
    assert not (tmp_path / "c.zip").exists()


def test_zip_npz_and_tarball_sources(tmp_path):
    rng = np.random.RandomState(0)
    pixels = rng.randint(0, 256, (5, 8, 8, 3)).astype(np.uint8)
    np.savez(tmp_path / "a.npz", x=pixels, y=np.array([0, 1, 2, 1, 0]))
    convert(tmp_path / "a.npz", tmp_path / "a.zip", quiet=True)
    from_zip = load_dataset(f"zip:{tmp_path / 'a.zip'}")
    from_npz = load_dataset(f"npz:{tmp_path / 'a.npz'}")
    assert torch.equal(from_zip.x, from_npz.x) and from_zip.labels.tolist() == [0, 1, 2, 1, 0]
    convert(tmp_path / "a.zip", tmp_path / "again.zip", quiet=True)  # a ZIP converts to the same pixels and labels
    again = load_dataset(f"zip:{tmp_path / 'again.zip'}")
    assert torch.equal(again.x, from_zip.x) and torch.equal(again.labels, from_zip.labels)
    write_tarball(tmp_path / "t.tgz", "google")
    summary = convert(tmp_path / "t.tgz", tmp_path / "t.zip", resolution=16, channels=4, quiet=True)
    assert summary["classes"] == ["Food & Drink", "People & Body", "Smileys & Emotion"]
    emoji = load_dataset(f"zip:{tmp_path / 't.zip'}")
    assert emoji.spec.shape == (4, 16, 16) and emoji.labels.tolist() == [0, 1, 1, 2]
    with zipfile.ZipFile(tmp_path / "t.zip") as z:
        assert json.loads(z.read("dataset.json"))["channels"] == 4


def test_cli_summary_and_errors(tmp_path, capsys):
    labelled_folder(tmp_path / "src")
    assert main(["data", "convert", str(tmp_path / "src"), str(tmp_path / "o.zip"), "--resolution", "8"]) == 0
    out = capsys.readouterr().out
    assert "4 images, 8x8, 3 channel(s), 2 labels (cats, dogs), skipped 1 (e.g. dogs/notes.txt)" in out
    assert main(["data", "convert", str(tmp_path / "src"), str(tmp_path / "o.png")]) == 2
    assert main(["data", "convert", str(tmp_path / "nowhere"), str(tmp_path / "p.zip")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].endswith("expected a file ending in .zip") and "no such file or folder" in err[1]
    assert main(["data", "convert", str(tmp_path / "src"), str(tmp_path / "q.zip")]) == 2  # 3 sizes, no --resolution
    assert "--resolution" in capsys.readouterr().err and not (tmp_path / "q.zip").exists()


def test_a_failure_leaves_no_file(tmp_path, monkeypatch):
    from gankit.data import convert as convert_module

    src = tmp_path / "src"
    src.mkdir()
    for i in range(3):
        Image.new("RGB", (8, 8)).save(src / f"{i}.png")
    calls = []

    def fail_on_third(im, policy):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # an interruption midway
        return np.zeros((8, 8, 3), np.uint8)

    monkeypatch.setattr(convert_module, "apply_policy", fail_on_third)
    with pytest.raises(KeyboardInterrupt):
        convert(src, tmp_path / "out.zip", quiet=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]  # neither the ZIP nor its temporary
