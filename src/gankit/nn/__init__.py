"""Networks, registered by family name for the generator, the discriminator, encoders and joint critics."""
from . import data_maps, dcgan, denoisers, encoders, infomax, mlp, quantizers, sngan  # noqa: F401  (registers them)
from .registry import DATA_MAPS, DENOISERS, DISCRIMINATORS, ENCODERS, GENERATORS, JOINT_CRITICS, build_network

__all__ = ["DATA_MAPS", "DENOISERS", "DISCRIMINATORS", "ENCODERS", "GENERATORS", "JOINT_CRITICS", "build_network"]
