"""The autoencoder family beside the GANs: VAE, EAE, the denoising-autoencoder generator, VQ-VAE and its
quantizers (VQ, FSQ, the rotation trick). Importing this package registers the objectives."""
from . import dae, eae, vae, vqvae  # noqa: F401  (registers the objectives)
from .vq import QUANTIZERS, FSQ, VectorQuantizer, rotate_to

__all__ = ["QUANTIZERS", "FSQ", "VectorQuantizer", "rotate_to"]
