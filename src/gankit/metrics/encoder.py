"""Metrics of a learned encoder E (issue 5): reconstruction error and class, latent correlation, code k-NN."""
from __future__ import annotations

from collections.abc import Sized

import torch
from sklearn.neighbors import KNeighborsClassifier

from ..data import Dataset
from ..numerics import pearson
from .digits import features_and_logits

HELD_OUT_TOY = 1000   # samples drawn from a dataset without a held-out split
LATENTS = 1000        # z draws for the correlation of z and E(G(z))
KNN_K = 5


def held_out(dataset: Dataset) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None, torch.Tensor | None]:
    """(x_test, y_test, x_train, y_train): the benchmark digits split for digits data, else fresh draws, labelled
    by their mode where the dataset's modes are known (toy mixtures) and unlabelled otherwise."""
    if "digits" in dataset.spec.metrics:
        from ..data.digits import digits_arrays

        return (*digits_arrays("test"), *digits_arrays("train"))
    x_test = dataset.sample(HELD_OUT_TOY, torch.Generator().manual_seed(0))
    if dataset.modes is None:
        return x_test, None, None, None
    x_train = dataset.sample(HELD_OUT_TOY, torch.Generator().manual_seed(1))
    return x_test, mode_index(x_test, dataset.modes.means), x_train, mode_index(x_train, dataset.modes.means)


def held_out_kind(dataset: Dataset) -> str:
    """What `held_out` returns, in words for a report: the digits' held-out split, draws of a distribution that
    is sampled afresh, or images of a finite dataset without a split (its training images, so not held out)."""
    if "digits" in dataset.spec.metrics:
        return "held-out"
    if isinstance(dataset, Sized):  # a finite set of items
        return "training (the dataset has no held-out split)"
    return "freshly drawn"


def mode_index(x: torch.Tensor, means: torch.Tensor) -> torch.Tensor:
    """The nearest mode of each item [N]: the component it was drawn from wherever the modes lie many stds apart
    (ring8: 77 stds between neighbours, grid25: 40)."""
    return torch.cdist(x.double(), means.double()).argmin(1)


def encoder_metrics(exp, dataset: Dataset, use_ema: bool = True) -> dict[str, float]:
    """recon_mse: mean (x - G(E(x)))^2 on held-out data; recon_class: share of held-out digits whose reconstruction
    the digits evaluator puts in the digit's own class (both where the codes decode back to data); rho: mean
    Pearson correlation of z and E(G(z)) (where the objective samples); knn: 5-NN class accuracy on held-out codes, fitted on the training
    digits' codes (on a toy mixture: of the mode index, fitted on the codes of 1,000 other draws; chance is 1 / modes);
    plus the objective's code statistics (a quantizer's usage and perplexity)."""
    x_test, y_test, x_train, y_train = held_out(dataset)
    codes = exp.encode(x_test, use_ema)
    reconstructs = exp.objective.capabilities.reconstructs
    recon = exp.reconstruct(x_test, use_ema) if reconstructs else None
    out = {"recon_mse": float((x_test - recon).pow(2).mean())} if reconstructs else {}
    if exp.objective.capabilities.samples:
        z = exp.objective.sample_z(LATENTS, torch.Generator().manual_seed(1))
        out["rho"] = float(pearson(z, exp.encode(exp.generate(z, use_ema), use_ema)).mean())
    out.update(exp.code_statistics(x_test, use_ema))
    if y_test is not None and reconstructs and "digits" in dataset.spec.metrics:  # the digits evaluator's classes
        out["recon_class"] = float((features_and_logits(recon)[1].argmax(1) == y_test).double().mean())
    if y_test is not None:
        knn = KNeighborsClassifier(n_neighbors=KNN_K).fit(exp.encode(x_train, use_ema).numpy(), y_train.numpy())
        out["knn"] = float(knn.score(codes.numpy(), y_test.numpy()))
    return out
