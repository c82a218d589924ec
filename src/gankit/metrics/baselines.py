"""Reference samplers for the digits ladder (docs/benchmarks.md section 3), fitted on the 1,000 training digits."""
from __future__ import annotations

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KernelDensity

from ..data.digits import digits_arrays

N = 797  # as many as the held-out set


def training_images(n: int, seed: int) -> torch.Tensor:
    return digits_arrays("train")[0]  # all 1,000, as docs/benchmarks.md section 3 measures it


def kde_pca(n: int, seed: int) -> torch.Tensor:
    """KDE on 15 PCA components, bandwidth by 5-fold grid search (scikit-learn's digits KDE example)."""
    x = digits_arrays("train")[0].flatten(1).numpy() * 8 + 8  # back to the 0..16 pixel scale
    pca = PCA(n_components=15, whiten=False).fit(x)
    codes = pca.transform(x)
    grid = GridSearchCV(KernelDensity(), {"bandwidth": np.logspace(-1, 1, 20)}).fit(codes)
    drawn = grid.best_estimator_.sample(n, random_state=seed)
    return _to_images(pca.inverse_transform(drawn) / 8 - 1)


def gaussian(n: int, seed: int) -> torch.Tensor:
    """One Gaussian with the pixels' mean and full covariance."""
    x = digits_arrays("train")[0].flatten(1).double().numpy()
    rng = np.random.RandomState(seed)
    return _to_images(rng.multivariate_normal(x.mean(0), np.cov(x.T), size=n))


def single_digit(n: int, seed: int) -> torch.Tensor:
    """Only the training images of the digit 1."""
    x, y = digits_arrays("train")
    return x[y == 1]


def uniform_noise(n: int, seed: int) -> torch.Tensor:
    return torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def _to_images(flat: np.ndarray) -> torch.Tensor:
    return torch.tensor(flat, dtype=torch.float32).clamp(-1, 1).reshape(-1, 1, 8, 8)


BASELINES = {  # the ladder, best first
    "training images": training_images,
    "KDE on 15 PCA components": kde_pca,
    "one Gaussian on the pixels": gaussian,
    "only the digit 1": single_digit,
    "uniform noise": uniform_noise,
}
