"""The Inception Score over splits against a numpy transcription of the reference formula (openai/improved-gan's
get_inception_score, which torch-fidelity and DRAGAN's notebook follow: parts i N // splits .. (i+1) N // splits)."""
import numpy as np
import pytest
import torch
from torch.testing import assert_close

from gankit.errors import ConfigError
from gankit.metrics.inception_score import inception_score


def reference_is(probs: np.ndarray, splits: int) -> tuple[float, float]:
    n, scores = len(probs), []
    for i in range(splits):
        part = probs[i * n // splits : (i + 1) * n // splits]
        kl = part * (np.log(part) - np.log(part.mean(0, keepdims=True)))
        scores.append(np.exp(kl.sum(1).mean()))
    return float(np.mean(scores)), float(np.std(scores))


@pytest.mark.parametrize("splits", [1, 10])
def test_against_the_reference_formula(splits):
    logits = torch.randn(797, 10, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 3
    mean, std = reference_is(logits.softmax(1).numpy(), splits)
    got = inception_score(logits, splits)
    assert got["is_splits"] == splits
    assert_close(torch.tensor([got["is"], got["is_std"]], dtype=torch.float64), torch.tensor([mean, std], dtype=torch.float64))


def test_splits_lower_the_score_of_a_small_set_and_bounds_hold():
    """Each part's p(y) is estimated from fewer samples, so 10 splits score below 1 (Jensen on the entropy
    of the mean); both lie in [1, number of classes]."""
    logits = torch.randn(500, 10, generator=torch.Generator().manual_seed(1)) * 2
    one, ten = inception_score(logits, 1)["is"], inception_score(logits, 10)["is"]
    probs = logits.double().softmax(1).numpy()
    assert abs(one - reference_is(probs, 1)[0]) < 1e-4
    # the reference value, below the one-split score (fewer samples per part), in [1, number of classes]
    assert abs(ten - reference_is(probs, 10)[0]) < 1e-4 and 1.0 <= ten < one <= logits.shape[1]
    perfect = torch.eye(10).repeat(50, 1) * 50  # confident and balanced in every part
    assert abs(inception_score(perfect, 10)["is"] - 10.0) < 1e-6


def test_bad_split_count_is_a_config_error():
    with pytest.raises(ConfigError, match="splits"):
        inception_score(torch.randn(5, 10), 6)
