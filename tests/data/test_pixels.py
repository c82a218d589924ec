"""Every image mode Pillow reads, decoded by its stated rule (pixels.py) to [-1, 1]: a test per mode against the
file's own values, with the channel count the file has."""
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from gankit.data import load_dataset
from gankit.errors import ConfigError, DataError

STEP = 2 / 255  # one 8-bit step in [-1, 1]


def folder_of(tmp_path, *images, suffix=".png"):
    root = tmp_path / "images"
    root.mkdir(exist_ok=True)
    for i, im in enumerate(images):
        im.save(root / f"{i:03d}{suffix}")
    return f"folder:{root}"


def png16_rgb(path, rgb):
    """A 16-bit-per-channel RGB PNG written by hand (Pillow writes none): rgb is uint16 [H, W, 3]."""
    h, w, _ = rgb.shape
    rows = b"".join(b"\x00" + rgb[y].astype(">u2").tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
                     + chunk(b"IEND", b""))


def ramp16():
    """4 x 4 16-bit gray: columns 0, 32768, 65535, 16384."""
    return np.tile(np.array([0, 32768, 65535, 16384], np.uint16), (4, 1))


def test_sixteen_bit_gray_is_scaled_not_clipped(tmp_path, capsys):
    im = Image.fromarray(ramp16())
    assert im.mode == "I;16"
    ds = load_dataset(folder_of(tmp_path, im), resolution=4)
    assert ds.spec.shape == (1, 4, 4)
    row = ds.x[0, 0, 0].numpy()
    assert abs(row[0] + 1) < 1e-6 and abs(row[2] - 1) < 1e-6  # 0 -> bottom, 65535 -> top
    assert abs(row[1]) < STEP and abs(row[3] + 0.5) < STEP    # 32768 -> the middle, 16384 -> a quarter
    err = capsys.readouterr().err
    assert "1 I;16 (16-bit, /65535)" in err and "stored as 1-channel L" in err


def test_sixteen_bit_rgb_png_reaches_the_top_of_the_range(tmp_path):
    root = tmp_path / "rgb16"
    root.mkdir()
    rgb = np.zeros((4, 4, 3), np.uint16)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 65535, 32768, 0
    png16_rgb(root / "a.png", rgb)
    ds = load_dataset(f"folder:{root}", resolution=4)
    assert ds.spec.shape == (3, 4, 4)
    red, green, blue = (ds.x[0, c].numpy() for c in range(3))
    assert np.allclose(red, 1, atol=1e-6) and np.allclose(green, 0, atol=STEP) and np.allclose(blue, -1, atol=1e-6)


def test_mixed_eight_and_sixteen_bit_gray_agree(tmp_path):
    gray8 = Image.fromarray(np.tile(np.array([0, 128, 255, 64], np.uint8), (4, 1)))
    ds = load_dataset(folder_of(tmp_path, gray8, Image.fromarray(ramp16())), resolution=4)
    assert ds.spec.shape == (1, 4, 4)
    np.testing.assert_allclose(ds.x[0].numpy(), ds.x[1].numpy(), atol=STEP)  # the same picture, either depth
    assert float((ds.x[1] == 1).float().mean()) == 0.25  # one column white, not half the pixels


def test_thirty_two_bit_integer_gray_within_sixteen_bits(tmp_path):
    a = ramp16().astype(np.int32)
    ds = load_dataset(folder_of(tmp_path, Image.fromarray(a), suffix=".tif"), resolution=4)
    row = ds.x[0, 0, 0].numpy()
    assert abs(row[2] - 1) < 1e-6 and abs(row[1]) < STEP


def test_thirty_two_bit_integer_gray_past_sixteen_bits_is_refused_with_its_range(tmp_path):
    a = np.full((4, 4), 70000, np.int32)
    with pytest.raises(DataError, match=r"000\.tif: 32-bit integer pixels lie in 70000\.\.70000"):
        load_dataset(folder_of(tmp_path, Image.fromarray(a), suffix=".tif"), resolution=4)


def test_float_gray_is_taken_as_unit_range_and_keeps_one_channel(tmp_path):
    a = np.tile(np.array([0.0, 0.5, 1.0, 0.25], np.float32), (4, 1))
    ds = load_dataset(folder_of(tmp_path, Image.fromarray(a), suffix=".tif"), resolution=4)
    assert ds.spec.shape == (1, 4, 4)
    np.testing.assert_allclose(ds.x[0, 0, 0].numpy(), [-1.0, 0.0, 1.0, -0.5], atol=1e-6)


def test_float_gray_outside_the_unit_range_is_refused_naming_it(tmp_path):
    a = np.full((4, 4), 300.0, np.float32)
    with pytest.raises(DataError, match=r"000\.tif: float pixels lie in \[300, 300\]; .* as \[0, 1\]"):
        load_dataset(folder_of(tmp_path, Image.fromarray(a), suffix=".tif"), resolution=4)


@pytest.mark.parametrize("mode, value, channels, expected", [
    ("1", 1, 1, [1.0]),
    ("L", 51, 1, [51 / 127.5 - 1]),
    ("LA", (51, 255), 2, [51 / 127.5 - 1, 1.0]),
    ("RGB", (255, 0, 51), 3, [1.0, -1.0, 51 / 127.5 - 1]),
    ("RGBA", (255, 0, 51, 0), 4, [1.0, -1.0, 51 / 127.5 - 1, -1.0]),
    ("CMYK", (0, 255, 255, 0), 3, [1.0, -1.0, -1.0]),  # no magenta-yellow ink left out: pure red
])
def test_eight_bit_modes_keep_their_channels_and_values(tmp_path, mode, value, channels, expected):
    suffix = ".tif" if mode == "CMYK" else ".png"
    ds = load_dataset(folder_of(tmp_path, Image.new(mode, (4, 4), value), suffix=suffix), resolution=4)
    assert ds.spec.shape == (channels, 4, 4)
    np.testing.assert_allclose(ds.x[0, :, 2, 2].numpy(), expected, atol=1e-6)


def test_palette_images_are_read_through_their_palette(tmp_path):
    im = Image.new("P", (4, 4), 1)
    im.putpalette([0, 0, 0, 255, 128, 0] + [0] * 762)
    ds = load_dataset(folder_of(tmp_path, im), resolution=4)
    assert ds.spec.shape == (3, 4, 4)
    np.testing.assert_allclose(ds.x[0, :, 0, 0].numpy(), [1.0, 128 / 127.5 - 1, -1.0], atol=1e-6)


def test_a_mixed_folder_takes_the_layout_holding_every_image(tmp_path, capsys):
    ds = load_dataset(folder_of(tmp_path, Image.new("L", (4, 4), 255), Image.new("RGBA", (4, 4), (0, 0, 255, 128))),
                      resolution=4)
    assert ds.spec.shape == (4, 4, 4)
    np.testing.assert_allclose(ds.x[0, :, 0, 0].numpy(), [1, 1, 1, 1], atol=1e-6)  # gray replicated, opaque
    err = capsys.readouterr().err
    assert "1 L (8-bit, /255), 1 RGBA (8-bit, /255)" in err and "4-channel RGBA (the files' own layout)" in err


def test_data_channels_chooses_the_layout(tmp_path):
    name = folder_of(tmp_path, Image.new("RGBA", (4, 4), (255, 0, 0, 0)))
    assert load_dataset(name, resolution=4, channels=3).spec.shape == (3, 4, 4)
    gray = load_dataset(name, resolution=4, channels=1)
    assert gray.spec.shape == (1, 4, 4) and abs(float(gray.x[0, 0, 0, 0]) - (76 / 127.5 - 1)) < 1e-6  # ITU-R 601 luma
    with pytest.raises(ConfigError, match="data.channels: dataset 'digits' has its own channels"):
        load_dataset("digits", channels=3)


def test_resizing_sixteen_bit_images_stays_in_range(tmp_path):
    a = np.zeros((16, 16), np.uint16)
    a[:, 8:] = 65535
    ds = load_dataset(folder_of(tmp_path, Image.fromarray(a)), resolution=4)
    row = ds.x[0, 0, 0].numpy()
    assert row.min() >= -1 and row.max() <= 1 and row[0] < -0.9 and row[-1] > 0.9


def test_streamed_and_in_memory_decoding_agree_for_sixteen_bit_images(tmp_path):
    import torch

    name = folder_of(tmp_path, Image.fromarray(ramp16()), Image.new("L", (4, 4), 10))
    memory = load_dataset(name, resolution=4)
    streamed = load_dataset(name, resolution=4, stream=True)
    assert torch.equal(streamed.fetch(torch.arange(2)), memory.x)


def test_a_zip_keeps_its_images_layout_or_the_one_asked_for(tmp_path):
    import io
    import zipfile

    path = tmp_path / "rgba.zip"
    with zipfile.ZipFile(path, "w") as z:
        for i in range(2):
            buf = io.BytesIO()
            Image.new("RGBA", (8, 8), (255, 0, 0, 128)).save(buf, format="PNG")
            z.writestr(f"{i}.png", buf.getvalue())
    own = load_dataset(f"zip:{path}")
    assert own.spec.shape == (4, 8, 8) and abs(float(own.x[0, 3, 0, 0]) - (128 / 127.5 - 1)) < 1e-6
    assert load_dataset(f"zip:{path}", channels=3).spec.shape == (3, 8, 8)
