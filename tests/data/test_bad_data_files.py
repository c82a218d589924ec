"""Bad data files (issue: input integrity): every one gets exit 2, one line naming the file, no traceback, and no
run directory. Labels and header sizes are checked before anything is built or allocated from them."""
import gzip
import io
import json
import pickle
import zipfile

import numpy as np
import pytest
from PIL import Image

from ..test_bad_inputs import assert_one_line, run


def refused(capsys, tmp_path, name, message, *sets):
    runs = tmp_path / "runs"
    argv = ["train", "--set", f"out_dir={runs}", "--set", f"data.name={name}"]
    for text in sets:
        argv += ["--set", text]
    code, err = run(capsys, *argv)
    assert_one_line(code, err, message)
    assert not runs.exists() or not any(runs.iterdir()), "a refused run left a run directory"


# --- builders of bad files ------------------------------------------------------------------------

def npz(tmp_path, name, **arrays):
    path = tmp_path / f"{name}.npz"
    np.savez(path, **arrays)
    return f"npz:{path}"


def huge_npz(tmp_path, compressed=False):
    """An .npz whose member's header asks for 2^40 float64 values (8 TiB)."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (2**40,)})
    path = tmp_path / ("huge-z.npz" if compressed else "huge.npz")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED) as z:
        z.writestr("x.npy", header.getvalue() + b"\0" * 64)
    return f"npz:{path}"


def image_zip(tmp_path, name, labels=None, raw_json=None, n=4):
    path = tmp_path / f"{name}.zip"
    with zipfile.ZipFile(path, "w") as z:
        for i in range(n):
            buf = io.BytesIO()
            Image.new("L", (8, 8), 30 * i).save(buf, format="PNG")
            z.writestr(f"img{i}.png", buf.getvalue())
        if raw_json is not None:
            z.writestr("dataset.json", raw_json)
        elif labels is not None:
            z.writestr("dataset.json", json.dumps({"labels": labels}))
    return f"zip:{path}"


def pairs(*labels):
    return [[f"img{i}.png", label] for i, label in enumerate(labels)]


def idx(tmp_path, name, shape, data: bytes | None = None, gz=False):
    head = b"\x00\x00\x08" + bytes([len(shape)]) + b"".join(int(s).to_bytes(4, "big") for s in shape)
    body = head + (bytes(int(np.prod(shape))) if data is None else data)
    folder = tmp_path / name
    folder.mkdir()
    path = folder / ("train-images-idx3-ubyte" + (".gz" if gz else ""))
    path.write_bytes(gzip.compress(body) if gz else body)
    return folder, path


def mnist_with_labels(tmp_path, name, n_images, labels_shape, label_value=0):
    folder, _ = idx(tmp_path, name, (n_images, 8, 8))
    head = b"\x00\x00\x08" + bytes([len(labels_shape)]) + b"".join(s.to_bytes(4, "big") for s in labels_shape)
    (folder / "train-labels-idx1-ubyte").write_bytes(head + bytes([label_value]) * int(np.prod(labels_shape)))
    return f"mnist:{folder}"


def cifar(tmp_path, name, labels, n=None, data=None):
    """A CIFAR-10 folder whose five batches hold `n` images (default: one per label) and `labels`."""
    folder = tmp_path / name
    folder.mkdir()
    n = len(labels) if n is None and isinstance(labels, list) else n
    batch = {b"data": np.zeros((n, 3072), np.uint8) if data is None else data, b"labels": labels}
    for i in range(1, 6):
        (folder / f"data_batch_{i}").write_bytes(pickle.dumps(batch, protocol=3))
    return f"cifar10:{folder}"


class HugeArray:
    """Pickles as numpy.ndarray((2**40,)): the 100-byte pickle that asks for 8 TiB."""

    def __reduce__(self):
        return (np.ndarray, ((2**40,),))


class HugeReconstruct:
    def __reduce__(self):
        from numpy._core.multiarray import _reconstruct

        return (_reconstruct, (np.ndarray, (2**40,), b"b"))


def zip_declaring(tmp_path, size):
    """A ZIP of one PNG whose central directory declares `size` bytes for it (what zipfile would read)."""
    buf = io.BytesIO()
    Image.new("L", (8, 8)).save(buf, format="PNG")
    path = tmp_path / "declares.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.png", buf.getvalue())
    data = bytearray(path.read_bytes())
    entry = data.rfind(b"PK\x01\x02")
    data[entry + 24 : entry + 28] = size.to_bytes(4, "little")  # the member's uncompressed size
    path.write_bytes(bytes(data))
    return f"zip:{path}"


def sparse_png(tmp_path, size):
    folder = tmp_path / "sparse"
    folder.mkdir()
    with open(folder / "huge.png", "wb") as f:
        f.truncate(size)  # a hole: no disk used, but the file says `size` bytes
    return f"folder:{folder}"


def float_tiff(tmp_path, name, value):
    folder = tmp_path / name
    folder.mkdir()
    Image.fromarray(np.full((8, 8), value, np.float32)).save(folder / "a.tif")
    return f"folder:{folder}"


# --- the table ------------------------------------------------------------------------------------

def cases(tmp_path):
    """(data.name, message, extra --set) for every bad data file; built lazily in tmp_path."""
    (tmp_path / "text.npz").write_text("x,y\n1,2\n")
    (tmp_path / "empty.npz").write_bytes(b"")
    (tmp_path / "a-file").write_text("not a folder")
    (tmp_path / "folder.npz").mkdir()
    (tmp_path / "folder.zip").mkdir()
    empty_idx, _ = idx(tmp_path, "zero", (0, 8, 8))
    cut_idx, _ = idx(tmp_path, "cut", (100, 8, 8), data=bytes(64))
    huge_gz, _ = idx(tmp_path, "hugegz", (2**31 - 1, 255, 255), data=b"", gz=True)
    bad_gz = tmp_path / "badgz"
    bad_gz.mkdir()
    (bad_gz / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b\x08\x00garbage, not deflate")
    cut_gz = tmp_path / "cutgz"
    cut_gz.mkdir()
    noise = np.random.RandomState(0).randint(0, 256, 640, dtype=np.uint8).tobytes()  # incompressible
    (cut_gz / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"\x00\x00\x08\x03" + b"".join(
        s.to_bytes(4, "big") for s in (10, 8, 8)) + noise)[:-100])
    empty_file = tmp_path / "emptyidx"
    empty_file.mkdir()
    (empty_file / "train-images-idx3-ubyte").write_bytes(b"")
    ints = tmp_path / "ints"
    ints.mkdir()
    Image.fromarray(np.full((8, 8), 2**20, np.int32)).save(ints / "a.tif")
    vectors = np.zeros((10, 2), np.float32)
    labels = np.zeros(10, np.int64)
    big = labels.copy()
    big[3] = 10**9
    return [
        # labels (npz)
        (npz(tmp_path, "big", x=vectors, y=big), "big.npz: label 1000000000 at index 3 makes 1000000001 classes, over data.max_classes=10000", ()),
        (npz(tmp_path, "fewer", x=vectors, y=labels[:7]), "array 'y': expected one label per item, 10 in all; got 7", ()),
        (npz(tmp_path, "more", x=vectors, y=np.zeros(12, np.int64)), "array 'y': expected one label per item, 10 in all; got 12", ()),
        (npz(tmp_path, "floaty", x=vectors, y=labels + 0.5), "array 'y': labels must be integers (class indices); label 0.5 at index 0", ()),
        (npz(tmp_path, "booly", x=vectors, y=labels > 0), "array 'y': labels must be integers", ()),
        (npz(tmp_path, "flat2d", x=vectors, y=labels.reshape(5, 2)), "expected one label per item, 10 in all", ()),
        (npz(tmp_path, "neg", x=vectors, y=labels - 2), "array 'y': label -2 at index 0 is outside 0 or more", ()),
        (npz(tmp_path, "limit", x=vectors, y=np.arange(10)), "limit.npz: label 5 at index 5 makes 10 classes, over data.max_classes=5", ("data.max_classes=5",)),
        # npz files
        (f"npz:{tmp_path / 'text.npz'}", "text.npz: not an .npz file; it looks like a text file", ()),
        (f"npz:{tmp_path / 'empty.npz'}", "empty.npz: not an .npz file; it looks like an empty file", ()),
        (f"npz:{tmp_path / 'folder.npz'}", "folder.npz: a folder, expected an .npz file", ()),
        (huge_npz(tmp_path), "huge.npz: array 'x' says shape [1099511627776] float64 (8796093022208 bytes), more than the file holds", ()),
        (huge_npz(tmp_path, compressed=True), "huge-z.npz: array 'x' says shape [1099511627776]", ()),
        ("npz:", "config field data.name: npz: names no path after the colon", ()),
        # zip labels
        (image_zip(tmp_path, "big", pairs(0, 10**9, 1, 2)), "label 1000000000 at index 1 makes 1000000001 classes", ()),
        (image_zip(tmp_path, "five", raw_json='{"labels": 5}'), "dataset.json \"labels\" is int, expected a list of [name, label] pairs", ()),
        (image_zip(tmp_path, "single", [["img0.png"], ["img1.png"]]), "dataset.json labels entry 0 is [\"img0.png\"], expected a [name, label] pair", ()),
        (image_zip(tmp_path, "strings", pairs("cat", "dog", "cat", "dog")), "dataset.json label \"cat\" of img0.png is not an integer", ()),
        (image_zip(tmp_path, "bools", pairs(True, False, True, False)), "dataset.json label true of img0.png is not an integer", ()),
        (image_zip(tmp_path, "negative", pairs(0, -1, 0, 1)), "dataset.json: label -1 at index 1 is outside 0 or more", ()),
        (image_zip(tmp_path, "astronomic", pairs(0, 10**30, 0, 1)), "label 1000000000000000000000000000000 of img1.png is outside any class count", ()),
        (image_zip(tmp_path, "partial", pairs(0, 1)), "dataset.json has no label for img2.png", ()),
        (f"zip:{tmp_path / 'folder.zip'}", "folder.zip: a folder, expected a ZIP file", ()),
        (f"zip:{tmp_path / 'nothing.zip'}", "nothing.zip: no such file", ()),
        (zip_declaring(tmp_path, 2**31), "declares.zip: a.png is 2147483648 bytes, over the 268435456 gankit reads", ()),
        (sparse_png(tmp_path, 2**28 + 1), "huge.png is 268435457 bytes, over the 268435456 gankit reads", ("data.resolution=8",)),
        # folders
        (f"folder:{tmp_path / 'a-file'}", "a-file: a file, expected a folder of images", ("data.resolution=8",)),
        ("folder:", "config field data.name: folder: names no path after the colon; write data.name=folder:PATH", ()),
        ("npz: /some/where", "config field data.name: read as the mapping", ()),
        (float_tiff(tmp_path, "floats", 255.0), "a.tif: float pixels lie in [255, 255]", ("data.resolution=8",)),
        (float_tiff(tmp_path, "nans", np.nan), "a.tif: float pixels include NaN or inf", ("data.resolution=8",)),
        (f"folder:{ints}", "a.tif: 32-bit integer pixels lie in 1048576..1048576", ("data.resolution=8",)),
        # idx (MNIST)
        (f"mnist:{empty_idx}", "train-images-idx3-ubyte: the idx file holds no images (shape [0, 8, 8])", ()),
        (f"mnist:{cut_idx}", "train-images-idx3-ubyte: idx header says shape [100, 8, 8] (6400 bytes), more than the file holds", ()),
        (f"mnist:{huge_gz}", "idx header says shape [2147483647, 255, 255]", ()),
        (f"mnist:{bad_gz}", "train-images-idx3-ubyte.gz: not a readable gzip file", ()),
        (f"mnist:{cut_gz}", "train-images-idx3-ubyte.gz: not a readable gzip file", ()),
        (f"mnist:{empty_file}", "train-images-idx3-ubyte: not an unsigned-byte idx file (magic missing: empty file)", ()),
        (mnist_with_labels(tmp_path, "fewerlabels", 10, (7,)), "train-labels-idx1-ubyte: expected one label per item, 10 in all; got 7", ()),
        (mnist_with_labels(tmp_path, "labels2d", 10, (5, 2)), "train-labels-idx1-ubyte: expected labels [N], the idx file holds shape [5, 2]", ()),
        (f"mnist:{tmp_path / 'no-mnist-here'}", "no such file or folder", ()),
        # CIFAR python batches
        (cifar(tmp_path, "c-range", [3, 12]), "data_batch_1 labels: label 12 at index 1 is outside 0..9", ()),
        (cifar(tmp_path, "c-neg", [-1, 0]), "data_batch_1 labels: label -1 at index 0 is outside 0..9", ()),
        (cifar(tmp_path, "c-fewer", [1, 2], n=3), "data_batch_1 labels: expected one label per item, 3 in all; got 2", ()),
        (cifar(tmp_path, "c-text", [1, "two"]), "data_batch_1 labels: label 'two' at index 1 is not an integer", ()),
        (cifar(tmp_path, "c-empty", [], n=0), "data_batch_1: the batch holds no images", ()),
        (cifar(tmp_path, "c-huge", [0], data=HugeArray()), "array of shape [1099511627776] (8796093022208 bytes) is larger than the file", ()),
        (cifar(tmp_path, "c-huge2", [0], data=HugeReconstruct()), "array of shape [1099511627776]", ()),
        # data options
        ("digits", "data.channels: dataset 'digits' has its own channels", ("data.channels=3",)),
        ("digits", "config field data.channels: expected 0 (the files' layout), 1, 2, 3 or 4, got 5", ("data.channels=5",)),
        ("digits", "config field data.max_classes: expected an integer from 1 to", ("data.max_classes=0",)),
        ("digits", "data.batch_size 5000 is larger than dataset 'digits'", ("data.batch_size=5000",)),
    ]


def test_bad_data_files_name_the_file_and_leave_no_run_directory(tmp_path, capsys):
    table = cases(tmp_path)
    assert len(table) >= 52
    for name, message, sets in table:
        refused(capsys, tmp_path, name, message, *sets)


def test_a_batch_larger_than_an_image_folder_leaves_no_run_directory(tmp_path, capsys):
    folder = tmp_path / "three"
    folder.mkdir()
    for i in range(3):
        Image.new("L", (8, 8), i).save(folder / f"{i}.png")
    refused(capsys, tmp_path, f"folder:{folder}", "data.batch_size 64 is larger than dataset", "data.resolution=8")
    refused(capsys, tmp_path, f"folder:{folder}", "data.batch_size 64 is larger than dataset", "data.resolution=8",
            "data.stream=true")


@pytest.mark.parametrize("protocol", [2, 3])
def test_the_cifar_unpickler_still_reads_real_batches(tmp_path, protocol):
    from gankit.data.unpickle import safe_load

    batch = {b"data": np.arange(2 * 3072, dtype=np.uint8).reshape(2, 3072), b"labels": [1, 2]}
    blob = pickle.dumps(batch, protocol=3)
    loaded = safe_load(blob, "batch")
    assert np.array_equal(loaded[b"data"], batch[b"data"]) and loaded[b"labels"] == [1, 2]


def test_a_conditional_model_gets_its_class_count_from_the_labels_never_past_the_bound(tmp_path, capsys):
    from gankit.config import build_config
    from gankit.data import dataset_for
    from gankit.objectives import build_objective
    from gankit.presets import load_preset

    images = np.zeros((20, 8, 8), np.uint8)
    labels = np.arange(20) % 3
    wild = labels.copy()
    wild[5] = 10**9
    runs = tmp_path / "runs"
    code, err = run(capsys, "train", "digits-cgan", "--set", f"out_dir={runs}",
                    "--set", f"data.name={npz(tmp_path, 'wild', x=images, y=wild)}")
    assert_one_line(code, err, "wild.npz: label 1000000000 at index 5 makes 1000000001 classes")
    assert not runs.exists()
    cfg = build_config(load_preset("digits-cgan"), overrides=[f"data.name={npz(tmp_path, 'three', x=images, y=labels)}"])
    objective = build_objective(cfg, dataset_for(cfg.data).spec)
    assert objective.nets["G"].num_classes == 3 and objective.nets["D"].num_classes == 3
