"""The emoji builder on small tarballs written here in the npm packages' layout."""
import base64
import hashlib
import io
import json
import tarfile
import zipfile

import numpy as np
import pytest
from PIL import Image

from gankit.cli import main
from gankit.data import emoji, load_dataset
from gankit.data.emoji_build import build_emoji
from gankit.errors import DataError

# base emoji (image, category, skin-variant images); the variant of the waving hand must take "People & Body"
ENTRIES = [("1f600.png", "Smileys & Emotion", []), ("1f44b.png", "People & Body", ["1f44b-1f3fb.png"]),
           ("1f34e.png", "Food & Drink", [])]
CLASSES = ["Food & Drink", "People & Body", "Smileys & Emotion"]  # sorted: the label indices


def emoji_png(seed: int) -> bytes:
    """64x64 RGBA: an opaque red disc-ish square in the middle, the border fully transparent (with green RGB
    under the zero alpha, which a correct composite must not show)."""
    a = np.zeros((64, 64, 4), np.uint8)
    a[..., 1] = 255
    a[16:48, 16:48] = (200, 10 * seed, 0, 255)
    buffer = io.BytesIO()
    Image.fromarray(a, "RGBA").save(buffer, format="PNG")
    return buffer.getvalue()


def write_tarball(path, vendor: str) -> None:
    entries = [{"image": image, "category": category,
                **({"skin_variations": {"1F3FB": {"image": v} for v in variants}} if variants else {})}
               for image, category, variants in ENTRIES]
    files = {"package/emoji.json": json.dumps(entries).encode(), "package/README.md": b"test"}
    images = [image for image, _, variants in ENTRIES for image in [image, *variants]]
    files.update({f"package/img/{vendor}/64/{name}": emoji_png(i) for i, name in enumerate(images)})
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def pin_of(path, pin: emoji.Pin) -> emoji.Pin:
    """The real pin with this file's checksums."""
    data = path.read_bytes()
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    return emoji.Pin(pin.package, integrity, hashlib.sha1(data).hexdigest(), pin.licence)


@pytest.fixture
def tarballs(tmp_path, monkeypatch):
    folder = tmp_path / "npm"
    folder.mkdir()
    for vendor, pin in list(emoji.PINS.items()):
        path = folder / pin.tarball
        write_tarball(path, vendor)
        monkeypatch.setitem(emoji.PINS, vendor, pin_of(path, pin))
    monkeypatch.setenv("GANKIT_DATA", str(tmp_path / "data"))
    return folder


def test_builds_three_datasets_with_category_labels(tarballs, tmp_path):
    written = build_emoji(tarballs, tmp_path / "data", (32, 16), quiet=True)
    assert sorted(p.name for p in written) == sorted(f"{d}-{r}.zip" for d in ("emoji", "emoji-google", "emoji-twitter")
                                                     for r in (32, 16))
    with zipfile.ZipFile(tmp_path / "data" / "emoji-google-32.zip") as z:
        meta = json.loads(z.read("dataset.json"))
    assert meta["classes"] == CLASSES and meta["channels"] == 3
    # sorted image names: 1f34e (Food), 1f44b (People), 1f44b-1f3fb (People: the base's), 1f600 (Smileys)
    assert [label for _, label in meta["labels"]] == [0, 1, 1, 2]
    both = load_dataset("emoji")  # resolution 0: the 32x32 default
    assert both.spec.name == "emoji" and both.spec.shape == (3, 32, 32) and len(both) == 8
    assert both.spec.num_classes == 3
    assert load_dataset("emoji-twitter", 16).spec.shape == (3, 16, 16)
    corner = both.x[:, :, 0, 0]
    assert torch_allclose(corner, 1.0)  # transparent over white, the green under zero alpha gone
    centre = both.x[:, 0, 16, 16]
    assert torch_allclose(centre, 200 / 127.5 - 1)  # the opaque red kept


def torch_allclose(t, value, atol=1 / 127.5) -> bool:
    return bool(((t - value).abs() <= atol).all())


def test_black_background_and_alpha_kept(tarballs, tmp_path):
    build_emoji(tarballs, tmp_path / "data", (32,), background=(0, 0, 0), quiet=True)
    assert torch_allclose(load_dataset("emoji-google").x[:, :, 0, 0], -1.0)
    build_emoji(tarballs, tmp_path / "data", (32,), channels=4, quiet=True)
    rgba = load_dataset("emoji:rgba")
    assert rgba.spec.shape == (4, 32, 32) and rgba.spec.name == "emoji:rgba"
    assert torch_allclose(rgba.x[:, 3, 0, 0], -1.0) and torch_allclose(rgba.x[:, 3, 16, 16], 1.0)
    streamed = load_dataset("emoji:rgba", stream=True)  # decoded batch by batch: the same 4 channels
    assert streamed.spec.shape == (4, 32, 32) and streamed.batches(4).next()[0].shape == (4, 4, 32, 32)


def test_integrity_mismatch_and_missing_files(tarballs, tmp_path, monkeypatch, capsys):
    google = tarballs / emoji.PINS["google"].tarball
    with google.open("ab") as f:
        f.write(b"\0")
    with pytest.raises(DataError, match="is not the pinned emoji-datasource-google@16.0.0.*make emoji"):
        build_emoji(tarballs, tmp_path / "data", (32,), quiet=True)
    google.unlink()
    assert main(["data", "emoji", "--tarballs", str(tarballs)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "npm pack emoji-datasource-google@16.0.0" in err
    with pytest.raises(DataError, match=r"no .*emoji-32\.zip; build it with `make emoji`"):
        load_dataset("emoji")
    with pytest.raises(DataError, match=r"no .*emoji-google-16-rgba\.zip; .*`make emoji EMOJI_RESOLUTION=16 EMOJI_CHANNELS=4`"):
        load_dataset("emoji-google:rgba", 16)
    with pytest.raises(DataError, match="power of two"):
        load_dataset("emoji", 24)


def test_cli_builds_at_several_resolutions(tarballs, tmp_path, capsys):
    out = tmp_path / "data"
    assert main(["data", "emoji", "--tarballs", str(tarballs), "-o", str(out), "--resolution", "16,32"]) == 0
    assert (out / "emoji-16.zip").is_file() and (out / "emoji-twitter-32.zip").is_file()
    assert "CC-BY-4.0" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        main(["data", "emoji", "--resolution", "24"])
    assert exit_.value.code == 2  # argparse: one line naming the choices
    assert "choose from 16, 32, 64" in capsys.readouterr().err


def test_builds_are_byte_identical(tarballs, tmp_path):
    first = build_emoji(tarballs, tmp_path / "one", (16,), quiet=True)
    second = build_emoji(tarballs, tmp_path / "two", (16,), quiet=True)
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_read_by_the_loaders_rules_channels_and_class_limit(tarballs, tmp_path):
    """The emoji ZIPs load through load_dataset's options: data.channels picks another layout of the same
    pixels (RGB -> gray, RGBA -> RGB without alpha), data.max_classes refuses the 3 categories when set to 2."""
    build_emoji(tarballs, tmp_path / "data", (32,), quiet=True)
    build_emoji(tarballs, tmp_path / "data", (32,), channels=4, quiet=True)
    rgb = load_dataset("emoji-google")
    gray = load_dataset("emoji-google", channels=1)
    assert gray.spec.shape == (1, 32, 32) and torch_allclose(gray.x[:, 0, 0, 0], 1.0)  # white stays white
    luma = (0.299 * rgb.x[:, 0] + 0.587 * rgb.x[:, 1] + 0.114 * rgb.x[:, 2])[:, 16, 16]
    assert torch_allclose(gray.x[:, 0, 16, 16], luma, atol=2 / 127.5)  # ITU-R 601 luma, as Pillow converts
    no_alpha = load_dataset("emoji:rgba", channels=3)
    assert no_alpha.spec.shape == (3, 32, 32) and no_alpha.spec.name == "emoji:rgba"
    with pytest.raises(DataError, match="3 classes, over data.max_classes=2"):
        load_dataset("emoji", max_classes=2)
    assert load_dataset("emoji", max_classes=3).spec.num_classes == 3
