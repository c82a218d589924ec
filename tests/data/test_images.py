import numpy as np
import pytest
from PIL import Image

from gankit.data import load_dataset
from gankit.errors import ConfigError, DataError


def _save(path, size, mode, value):
    Image.new(mode, size, value).save(path)


def test_folder_grayscale_resized_and_cropped(tmp_path):
    _save(tmp_path / "a.png", (40, 20), "L", 255)
    (tmp_path / "sub").mkdir()
    _save(tmp_path / "sub" / "b.jpg", (16, 16), "L", 0)
    ds = load_dataset(f"folder:{tmp_path}", resolution=8)
    assert ds.spec.shape == (1, 8, 8) and len(ds) == 2
    assert ds.x[0].max() == 1.0 and ds.x[1].abs().sub(1).abs().max() < 0.02  # white -> 1, black -> -1


def test_folder_mixed_becomes_rgb(tmp_path):
    _save(tmp_path / "a.png", (32, 32), "RGB", (255, 0, 0))
    _save(tmp_path / "b.png", (32, 32), "L", 128)
    ds = load_dataset(f"folder:{tmp_path}", resolution=16)
    assert ds.spec.shape == (3, 16, 16)
    assert ds.x[0, 0].min() == 1.0 and ds.x[0, 1].max() == -1.0  # pure red


def test_folder_errors(tmp_path):
    with pytest.raises(DataError, match="no such folder"):
        load_dataset(f"folder:{tmp_path / 'missing'}", resolution=8)
    with pytest.raises(DataError, match="has no image files"):
        load_dataset(f"folder:{tmp_path}", resolution=8)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match="has no image files"):
        load_dataset(f"folder:{tmp_path}", resolution=8)
    (tmp_path / "notes.txt").unlink()
    (tmp_path / "broken.png").write_bytes(b"not an image")
    with pytest.raises(DataError, match="broken.png is not a readable image"):
        load_dataset(f"folder:{tmp_path}", resolution=8)
    (tmp_path / "broken.png").unlink()
    Image.new("RGB", (12, 12)).save(tmp_path / "a.png")
    with pytest.raises(DataError, match=r"are all 12x12; set data.resolution"):  # square, not a power of two
        load_dataset(f"folder:{tmp_path}")
    Image.new("RGB", (16, 8)).save(tmp_path / "b.png")
    with pytest.raises(DataError, match=r"2 sizes, e.g. .*set data.resolution"):
        load_dataset(f"folder:{tmp_path}")
    with pytest.raises(DataError, match="not a power of two"):
        load_dataset(f"folder:{tmp_path}", resolution=24)
    with pytest.raises(ConfigError, match="needs a path"):
        load_dataset("folder")


def test_npz_vectors_and_labels(tmp_path):
    x = np.random.RandomState(0).randn(50, 3).astype(np.float32) * 5
    np.savez(tmp_path / "v.npz", x=x, y=np.arange(50) % 4)
    ds = load_dataset(f"npz:{tmp_path / 'v.npz'}")
    assert ds.spec.shape == (3,) and not ds.spec.bounded and ds.spec.num_classes == 4
    np.testing.assert_array_equal(ds.x.numpy(), x)


def test_npz_images_nhwc_uint8(tmp_path):
    imgs = np.zeros((5, 16, 16, 3), dtype=np.uint8)
    imgs[:, :, :, 2] = 255
    np.savez(tmp_path / "i.npz", imgs)
    ds = load_dataset(f"npz:{tmp_path / 'i.npz'}", resolution=8)
    assert ds.spec.shape == (3, 8, 8)
    assert ds.x[:, 2].min() == 1.0 and ds.x[:, 0].max() == -1.0


def test_npz_errors(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_dataset(f"npz:{tmp_path / 'none.npz'}")
    np.savez(tmp_path / "bad.npz", x=np.zeros(10))
    with pytest.raises(DataError, match=r"expected \[N, d\] vectors or \[N, H, W\(, C\)\] images, got shape \[10\]"):
        load_dataset(f"npz:{tmp_path / 'bad.npz'}")
    np.savez(tmp_path / "ch.npz", x=np.zeros((4, 7, 8, 8)))
    with pytest.raises(DataError, match="no channel axis"):
        load_dataset(f"npz:{tmp_path / 'ch.npz'}", resolution=8)
    np.savez(tmp_path / "range.npz", x=np.full((4, 8, 8), 3.0))
    with pytest.raises(DataError, match=r"must lie in \[-1, 1\] or \[0, 1\]"):
        load_dataset(f"npz:{tmp_path / 'range.npz'}")
    np.savez(tmp_path / "lab.npz", x=np.zeros((4, 2)), y=np.zeros(3, dtype=int))
    with pytest.raises(DataError, match="expected one label per item, 4 in all; got 3"):
        load_dataset(f"npz:{tmp_path / 'lab.npz'}")
    (tmp_path / "junk.npz").write_bytes(b"\x01junk")
    with pytest.raises(DataError, match="not a readable .npz"):
        load_dataset(f"npz:{tmp_path / 'junk.npz'}")


def test_home_relative_paths_are_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "faces").mkdir()
    _save(tmp_path / "faces" / "a.png", (8, 8), "L", 10)
    assert load_dataset("folder:~/faces", resolution=8).spec.shape == (1, 8, 8)


def test_folder_skips_stray_files_reads_webp_bmp_and_labels_by_subfolder(tmp_path, capsys):
    for cls, value in (("cats", 200), ("dogs", 30)):
        (tmp_path / cls).mkdir()
        _save(tmp_path / cls / "a.webp", (16, 16), "RGB", (value,) * 3)
        _save(tmp_path / cls / "b.bmp", (16, 16), "RGB", (value,) * 3)
    (tmp_path / "README.txt").write_text("photos of pets")
    ds = load_dataset(f"folder:{tmp_path}", resolution=8)
    assert len(ds) == 4 and ds.spec.shape == (3, 8, 8) and ds.spec.num_classes == 2
    assert ds.labels.tolist() == [0, 0, 1, 1]
    assert ds.x[0].mean() > 0.5 and ds.x[3].mean() < -0.5  # cats bright, dogs dark (WebP is lossy)
    assert "skipped 1 non-image file(s), e.g. README.txt" in capsys.readouterr().err
    assert ds.spec.metrics == ("swd",)


def test_folder_above_128_pixels(tmp_path):
    _save(tmp_path / "big.png", (300, 260), "RGB", (10, 20, 30))
    assert load_dataset(f"folder:{tmp_path}", resolution=256).spec.shape == (3, 256, 256)


def test_npz_float_unit_range_is_rescaled_with_a_notice(tmp_path, capsys):
    np.savez(tmp_path / "unit.npz", x=np.linspace(0, 1, 4 * 64, dtype=np.float32).reshape(4, 8, 8))
    ds = load_dataset(f"npz:{tmp_path / 'unit.npz'}", resolution=8)
    assert float(ds.x.min()) == -1.0 and float(ds.x.max()) == 1.0
    assert "rescaled to [-1, 1]" in capsys.readouterr().err
    np.savez(tmp_path / "bytes.npz", x=np.full((4, 8, 8), 200.0))
    with pytest.raises(DataError, match="divide 0..255 pixels by 255"):
        load_dataset(f"npz:{tmp_path / 'bytes.npz'}", resolution=8)


def test_npz_that_is_another_format_is_named(tmp_path):
    import gzip
    import pickle
    import zipfile

    (tmp_path / "mnist.npz").write_bytes(gzip.compress(b"\x00\x00\x08\x03" + b"\x00" * 20))
    with pytest.raises(DataError, match="gzip file holding an MNIST / Fashion-MNIST idx file: use data.name=mnist"):
        load_dataset(f"npz:{tmp_path / 'mnist.npz'}")
    (tmp_path / "batch.npz").write_bytes(pickle.dumps({b"data": 1}, protocol=2))
    with pytest.raises(DataError, match="a Python pickle") as err:
        load_dataset(f"npz:{tmp_path / 'batch.npz'}")
    assert "allow_pickle" not in str(err.value)
    with zipfile.ZipFile(tmp_path / "imgs.npz", "w") as z:
        z.writestr("00000/img00000000.png", b"\x89PNG")
    with pytest.raises(DataError, match="a ZIP of images .* use data.name=zip:PATH"):
        load_dataset(f"npz:{tmp_path / 'imgs.npz'}")
    np.savez(tmp_path / "objects.npz", x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(DataError, match="holds Python objects"):
        load_dataset(f"npz:{tmp_path / 'objects.npz'}")


def test_data_paths_are_made_absolute(tmp_path, monkeypatch):
    from gankit.data import absolute_data_name

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert absolute_data_name("folder:photos") == f"folder:{tmp_path / 'photos'}"
    assert absolute_data_name("cifar10:~/c.tar.gz") == f"cifar10:{tmp_path / 'home' / 'c.tar.gz'}"
    assert absolute_data_name("digits") == "digits" and absolute_data_name("ring8") == "ring8"
