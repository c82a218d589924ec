"""Training: the loop (trainer.py), schedules, EMA, optimizers, checkpoints, logging, distributed and mixed
precision. The function that trains a model from a config is gankit.train (gankit.api.train)."""
