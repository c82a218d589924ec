import gzip
import io
import json
import pickle
import struct
import tarfile
import zipfile

import numpy as np
import pytest
from PIL import Image

from gankit.data import load_dataset
from gankit.errors import DataError


def _idx(array: np.ndarray) -> bytes:
    return b"\x00\x00\x08" + bytes([array.ndim]) + struct.pack(f">{array.ndim}i", *array.shape) + array.tobytes()


@pytest.mark.parametrize("kind", ["mnist", "fashion-mnist"])
@pytest.mark.parametrize("compressed", [False, True])
def test_idx_folder_and_file(tmp_path, kind, compressed):
    images = np.random.RandomState(0).randint(0, 256, (6, 28, 28)).astype(np.uint8)
    images[0] = 255
    labels = np.array([3, 1, 4, 1, 5, 9], dtype=np.uint8)
    suffix, wrap = (".gz", gzip.compress) if compressed else ("", lambda b: b)
    (tmp_path / f"train-images-idx3-ubyte{suffix}").write_bytes(wrap(_idx(images)))
    (tmp_path / f"train-labels-idx1-ubyte{suffix}").write_bytes(wrap(_idx(labels)))
    ds = load_dataset(f"{kind}:{tmp_path}", resolution=32)
    assert ds.spec.shape == (1, 32, 32) and ds.spec.num_classes == 10 and len(ds) == 6
    assert ds.labels.tolist() == labels.tolist()
    assert float(ds.x.min()) >= -1.0 and float(ds.x.max()) <= 1.0 and float(ds.x[0].min()) > 0.99
    native = load_dataset(f"{kind}:{tmp_path / f'train-images-idx3-ubyte{suffix}'}")
    assert native.spec.shape == (1, 28, 28) and native.labels is not None
    np.testing.assert_allclose(native.x[1, 0].numpy(), images[1] / 127.5 - 1.0, atol=1e-6)


def test_idx_errors(tmp_path):
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03" + struct.pack(">3i", 5, 2, 2) + b"\x00" * 4)
    with pytest.raises(DataError, match=r"header says shape \[5, 2, 2\] but holds 4 bytes"):
        load_dataset(f"mnist:{tmp_path}")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no train-images-idx3-ubyte"):
        load_dataset(f"mnist:{tmp_path / 'empty'}")


def _cifar_batch(n: int, label_key: bytes, seed: int) -> bytes:
    rng = np.random.RandomState(seed)
    batch = {b"batch_label": b"training batch", label_key: rng.randint(0, 10, n).tolist(),
             b"data": rng.randint(0, 256, (n, 3072)).astype(np.uint8), b"filenames": [b"x.png"] * n}
    # protocol 3 stores bytes as bytes, as the published Python 2 pickles store str: the same globals
    return pickle.dumps(batch, protocol=3)


def _write_cifar10(tmp_path, archive: bool):
    blobs = {f"data_batch_{i}": _cifar_batch(4, b"labels", i) for i in range(1, 6)}
    if not archive:
        folder = tmp_path / "cifar-10-batches-py"
        folder.mkdir()
        for name, blob in blobs.items():
            (folder / name).write_bytes(blob)
        return tmp_path
    path = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, blob in blobs.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return path


@pytest.mark.parametrize("archive", [True, False])
def test_cifar10_archive_and_folder(tmp_path, archive):
    ds = load_dataset(f"cifar10:{_write_cifar10(tmp_path, archive)}", resolution=32)
    assert ds.spec.shape == (3, 32, 32) and ds.spec.num_classes == 10 and len(ds) == 20
    first = pickle.loads(_cifar_batch(4, b"labels", 1), encoding="bytes")
    assert ds.labels[:4].tolist() == [int(v) for v in first[b"labels"]]
    np.testing.assert_allclose(ds.x[0].numpy(), first[b"data"][0].reshape(3, 32, 32) / 127.5 - 1.0, atol=1e-6)


def test_cifar100_fine_labels(tmp_path):
    (tmp_path / "train").write_bytes(_cifar_batch(3, b"fine_labels", 0))
    ds = load_dataset(f"cifar100:{tmp_path}", resolution=16)
    assert ds.spec.shape == (3, 16, 16) and ds.spec.num_classes == 100 and len(ds) == 3


class _RunsCode:
    def __reduce__(self):
        import os

        return (os.system, ("echo pwned > /dev/null",))


def test_cifar_refuses_a_pickle_that_runs_code(tmp_path, monkeypatch):
    (tmp_path / "train").write_bytes(pickle.dumps({b"data": _RunsCode(), b"fine_labels": []}, protocol=3))
    calls = []
    monkeypatch.setattr("os.system", lambda cmd: calls.append(cmd))  # were it called, the test would see it
    with pytest.raises(DataError, match="refused to unpickle: refused global (posix|os).system"):
        load_dataset(f"cifar100:{tmp_path}", resolution=32)
    assert calls == []


def _png(value, size=(8, 8)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, value).save(buf, format="PNG")
    return buf.getvalue()


def test_stylegan_zip_with_labels(tmp_path):
    path = tmp_path / "data.zip"
    names = [f"00000/img{i:08d}.png" for i in range(5)]
    with zipfile.ZipFile(path, "w") as z:
        for i, name in enumerate(names):
            z.writestr(name, _png((40 * i, 0, 0)))
        z.writestr("dataset.json", json.dumps({"labels": [[n, i % 2] for i, n in enumerate(names)]}))
    ds = load_dataset(f"zip:{path}")
    assert ds.spec.shape == (3, 8, 8) and ds.spec.num_classes == 2 and ds.labels.tolist() == [0, 1, 0, 1, 0]
    assert abs(float(ds.x[4, 0].mean()) - (160 / 127.5 - 1)) < 1e-5
    streamed = load_dataset(f"zip:{path}", stream=True)
    assert ds.labels.tolist() == streamed.labels.tolist()


def test_zip_without_labels_and_errors(tmp_path):
    path = tmp_path / "plain.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.png", _png((0, 0, 0)))
        z.writestr("dataset.json", json.dumps({"labels": None}))
    assert load_dataset(f"zip:{path}", resolution=4).labels is None
    with zipfile.ZipFile(tmp_path / "bad.zip", "w") as z:
        z.writestr("a.png", _png((0, 0, 0)))
        z.writestr("dataset.json", json.dumps({"labels": [["b.png", 0]]}))
    with pytest.raises(DataError, match="no label for a.png"):
        load_dataset(f"zip:{tmp_path / 'bad.zip'}")
    with pytest.raises(DataError, match="no such file"):
        load_dataset(f"zip:{tmp_path / 'none.zip'}")
