"""Networks, registered by family name for the generator, the discriminator, encoders and joint critics."""
from . import dcgan, encoders, mlp, sngan  # noqa: F401  (registers the networks)
from .registry import DISCRIMINATORS, ENCODERS, GENERATORS, JOINT_CRITICS, build_network

__all__ = ["DISCRIMINATORS", "ENCODERS", "GENERATORS", "JOINT_CRITICS", "build_network"]
