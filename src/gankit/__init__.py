"""gankit: train, evaluate and compare adversarial generative models in PyTorch."""

__version__ = "0.1.0"
