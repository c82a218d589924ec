"""Inception Score exp(E_x KL(p(y|x) || p(y))) (Salimans et al. 2016) of any classifier's logits, over splits."""
from __future__ import annotations

import torch

from ..errors import ConfigError

IS_SPLITS = 10  # the convention of openai/improved-gan, torch-fidelity and torchmetrics


def inception_score(logits: torch.Tensor, splits: int | None = None) -> dict[str, float]:
    """Mean and std over `splits` consecutive parts (rows i N // splits to (i + 1) N // splits, as the
    reference code cuts them) of exp(mean_x KL(p(y|x) || p_part(y))), with p_part the part's mean prediction.
    splits = 1 is the score of the whole set; None is the convention's 10 (one per sample below 10 samples),
    while a number given is used as it is."""
    n = len(logits)
    splits = min(IS_SPLITS, n) if splits is None else splits
    if not 1 <= splits <= n:
        raise ConfigError(f"inception score splits must be between 1 and the {n} samples; got {splits}")
    log_p_yx = logits.double().log_softmax(1)  # [N, C]
    scores = []
    for i in range(splits):
        part = log_p_yx[i * n // splits : (i + 1) * n // splits]
        log_p_y = part.exp().mean(0).log()
        scores.append((part.exp() * (part - log_p_y)).sum(1).mean().exp())
    scores = torch.stack(scores)
    std = float(scores.std(unbiased=False)) if splits > 1 else 0.0  # numpy's std, as the reference reports it
    return {"is": float(scores.mean()), "is_std": std, "is_splits": splits}
