"""The autoencoder family beside the GANs: VAE, EAE, the denoising-autoencoder generator and VQ-VAE (its
quantizers are networks: gankit.nn.quantizers). objectives/__init__.py imports every module here."""
