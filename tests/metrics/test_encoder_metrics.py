"""Encoder metrics against an oracle whose codes are the pixels and whose generator reshapes them back."""
import torch
from torch.testing import assert_close

from gankit.data import load_dataset
from gankit.data.digits import digits_arrays
from gankit.metrics.digits import features_and_logits
from gankit.metrics.encoder import encoder_metrics, held_out
from gankit.objectives.base import Capabilities, Objective


class Oracle:
    """encode(x) = pixels [N, 64]; generate(z) = z as 8x8 images: a perfect autoencoder."""

    class objective:
        capabilities = Capabilities(encoder="E")

        @staticmethod
        def sample_z(n, generator):
            return torch.rand(n, 64, generator=generator) * 2 - 1

    def encode(self, x, use_ema=True):
        return x.flatten(1)

    def generate(self, z, use_ema=True):
        return z.view(len(z), 1, 8, 8)

    def reconstruct(self, x, use_ema=True):
        return self.generate(self.encode(x))

    def code_statistics(self, x, use_ema=True):
        return {}


def test_a_perfect_autoencoder_scores_what_its_parts_allow():
    out = encoder_metrics(Oracle(), load_dataset("digits-train"))
    x, y = digits_arrays("test")
    evaluator_accuracy = float((features_and_logits(x)[1].argmax(1) == y).double().mean())
    assert out["recon_mse"] == 0.0 and abs(out["rho"] - 1.0) < 1e-5
    assert out["recon_class"] == evaluator_accuracy > 0.96  # reconstructions are the digits themselves
    assert 0.95 < out["knn"] <= 1.0                          # 5-NN on raw pixels of the digits


def test_a_constant_decoder_loses_the_classes():
    class Blank(Oracle):
        def generate(self, z, use_ema=True):
            return torch.zeros(len(z), 1, 8, 8)

    out = encoder_metrics(Blank(), load_dataset("digits-train"))
    assert out["recon_class"] <= 0.11 and out["recon_mse"] > 0.3


def test_toy_data_gets_the_label_free_metrics():
    class Toy(Oracle):
        class objective:
            capabilities = Capabilities(encoder="E")

            @staticmethod
            def sample_z(n, generator):
                return torch.randn(n, 2, generator=generator)

        def generate(self, z, use_ema=True):
            return z

    out = encoder_metrics(Toy(), load_dataset("ring8"))
    assert set(out) == {"recon_mse", "rho", "knn"} and out["recon_mse"] == 0.0  # no digits evaluator: no recon_class
    assert_close(torch.tensor(out["rho"]), torch.tensor(1.0))
    assert out["knn"] == 1.0  # the codes are the points: the modes are perfectly separated


class Codes(Oracle):
    """An encoder-only objective (infomax-like) whose codes are a given function of x."""

    def __init__(self, code):
        self.code = code

    class objective:
        capabilities = Capabilities(encoder="E", samples=False, reconstructs=False)

    def encode(self, x, use_ema=True):
        return self.code(x)


def test_toy_codes_knn_is_the_mode_index_accuracy_from_perfect_to_chance():
    ring = load_dataset("ring8")
    x, y, x_train, y_train = held_out(ring)
    means = ring.modes.means
    assert torch.equal(y, torch.cdist(x, means).argmin(1)) and set(y.tolist()) == set(range(8))
    assert torch.equal(y_train, torch.cdist(x_train, means).argmin(1)) and not torch.equal(x, x_train)
    one_hot = encoder_metrics(Codes(lambda v: torch.eye(8)[torch.cdist(v, means).argmin(1)] * 10), ring)
    assert one_hot == {"knn": 1.0}  # separated codes: every mode recovered
    noise = torch.Generator().manual_seed(3)
    random = encoder_metrics(Codes(lambda v: torch.randn(len(v), 2, generator=noise)), ring)
    assert abs(random["knn"] - 1 / 8) < 0.05  # codes that ignore x: chance over 8 modes (1,000 items, sd 0.01)
    grid = encoder_metrics(Codes(lambda v: v[:, :1]), load_dataset("grid25"))
    assert 0.15 < grid["knn"] < 0.25  # one coordinate of 25 = 5 x 5 modes: the column, and a guess of 5 rows (1 / 5)


def test_objectives_without_an_encoder_say_so():
    assert Objective.capabilities.encoder is None


def test_held_out_kind_names_what_the_likelihood_is_scored_on(tmp_path):
    """Only the digits have a held-out split; a folder of images gives its training images, a toy fresh draws."""
    from gankit.metrics.encoder import held_out_kind
    from PIL import Image

    for i in range(3):
        Image.new("RGB", (8, 8), (i * 80, 0, 0)).save(tmp_path / f"{i}.png")
    assert held_out_kind(load_dataset("digits")) == "held-out"
    assert held_out_kind(load_dataset(f"folder:{tmp_path}")).startswith("training")
    assert held_out_kind(load_dataset("ring8")) == "freshly drawn"
