"""Training: the trainer, schedules, EMA, optimizers, checkpoints and the metrics log."""
