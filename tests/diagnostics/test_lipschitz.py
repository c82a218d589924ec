"""`gankit inspect lipschitz`: gradient norms from below, layer operator norms from above."""
import json

import torch
from PIL import Image
from torch import nn
from torch.testing import assert_close

from gankit.data import DataSpec
from gankit.diagnostics.lipschitz import inspect_lipschitz, operator_norm
from gankit.nn import DISCRIMINATORS, build_network
from gankit.nn.spectral import apply_spectral_norm

from ..conftest import TINY_TOY
from ..objectives.test_penalties import Linear, unit
from ..test_cli import config_file, run, run_dir_of


def test_operator_norm_of_a_linear_layer_is_its_top_singular_value():
    layer = nn.Linear(7, 5)
    assert abs(operator_norm(layer, (7,)) - float(torch.linalg.matrix_norm(layer.weight.detach(), 2))) < 1e-4


def test_operator_norm_of_a_conv_is_that_of_its_matrix():
    """The conv as a dense matrix on 1x6x6 inputs: its largest singular value (not the reshaped kernel's)."""
    torch.manual_seed(0)
    conv = nn.Conv2d(1, 3, 3, padding=1, bias=False)
    dense = torch.autograd.functional.jacobian(lambda x: conv(x).flatten(), torch.zeros(1, 1, 6, 6)).reshape(108, 36)
    assert abs(operator_norm(conv, (1, 6, 6)) - float(torch.linalg.matrix_norm(dense, 2))) < 1e-3


def test_unit_linear_critic_has_gradient_norm_one_everywhere():
    real, fake = torch.randn(50, 4), torch.randn(50, 4)
    report = inspect_lipschitz(Linear(unit(4)), real, fake)
    for norms in report.norms.values():
        assert_close(norms, torch.ones(50))
    assert report.layers == [] and report.product == 1.0


def test_spectrally_normalized_critic_stays_under_its_bound():
    torch.manual_seed(0)
    D = build_network(DISCRIMINATORS, "mlp", {"hidden": 32, "depth": 3}, "D", spec=DataSpec("v", (2,)), z_dim=2)
    apply_spectral_norm(D)
    for _ in range(30):
        D(torch.randn(8, 2))  # power iterations, as training would run them
    u = [b.clone() for b in D.buffers()]
    report = inspect_lipschitz(D, torch.randn(500, 2), 3 * torch.randn(500, 2))
    assert report.is_bound and len(report.layers) == 4
    assert all(abs(sigma - 1.0) < 0.02 for _, sigma in report.layers)
    assert max(float(v.max()) for v in report.norms.values()) <= report.product
    assert all(torch.equal(a, b) for a, b in zip(u, D.buffers()))  # inspecting ran no power iteration


def test_layer_norm_and_residual_critics_get_no_bound():
    spec = DataSpec("img", (1, 16, 16), bounded=True)  # at 8 px the only conv is the first, which has no norm
    dcgan = build_network(DISCRIMINATORS, "dcgan", {"width": 16, "norm": "layer"}, "D", spec=spec, z_dim=2)
    x = torch.randn(20, 1, 16, 16)
    assert any("GroupNorm" in c for c in inspect_lipschitz(dcgan, x, x).bound_caveats)
    resmlp = build_network(DISCRIMINATORS, "resmlp", {"hidden": 8}, "D", spec=DataSpec("v", (2,)), z_dim=2)
    caveats = inspect_lipschitz(resmlp, torch.randn(20, 2), torch.randn(20, 2)).bound_caveats
    assert caveats == ["ResidualMLPBlock adds a skip connection, so the chain product does not hold"]


def test_cli_inspect_lipschitz_on_a_spectral_norm_run(tmp_path, capsys):
    cfg = config_file(tmp_path, TINY_TOY, objective={"name": "hinge"},
                      constraints=[{"name": "spectral-norm", "network": "D"}])
    code, out, _ = run(capsys, "train", "--config", cfg, "--set", "train.steps=3")
    assert code == 0
    png = tmp_path / "lip.png"
    code, out, _ = run(capsys, "inspect", "lipschitz", run_dir_of(out), "-n", "300", "-o", str(png))
    assert code == 0 and "constraint spectral-norm on D" in out and "an upper bound" in out
    record = json.loads(png.with_suffix(".json").read_text())
    assert record["is_bound"] and record["step"] == 3
    assert max(s["max"] for s in record["gradient_norms"].values()) <= record["product"]
    assert Image.open(png).size[0] > 300
