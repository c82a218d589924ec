"""The autoencoder family beside the GANs: VAE, EAE, the denoising-autoencoder generator and VQ-VAE (its
quantizers are networks: gankit.nn.quantizers). Importing this package registers the objectives."""
from . import dae, eae, vae, vqvae  # noqa: F401  (registers the objectives)
