"""Networks, registered by family name for the generator and the discriminator."""
from . import dcgan, mlp, sngan  # noqa: F401  (registers the networks)
from .registry import DISCRIMINATORS, GENERATORS, build_network

__all__ = ["DISCRIMINATORS", "GENERATORS", "build_network"]
