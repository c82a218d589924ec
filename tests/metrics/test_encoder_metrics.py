"""Encoder metrics against an oracle whose codes are the pixels and whose generator reshapes them back."""
import torch
from torch.testing import assert_close

from gankit.data import load_dataset
from gankit.data.digits import digits_arrays
from gankit.metrics.digits import features_and_logits
from gankit.metrics.encoder import encoder_metrics
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
    assert set(out) == {"recon_mse", "rho"} and out["recon_mse"] == 0.0
    assert_close(torch.tensor(out["rho"]), torch.tensor(1.0))


def test_objectives_without_an_encoder_say_so():
    assert Objective.capabilities.encoder is None
