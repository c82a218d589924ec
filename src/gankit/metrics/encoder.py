"""Metrics of a learned encoder E (issue 5): reconstruction error and class, latent correlation, code k-NN."""
from __future__ import annotations

import torch
from sklearn.neighbors import KNeighborsClassifier

from ..data import Dataset
from ..numerics import pearson
from .digits import features_and_logits

HELD_OUT_TOY = 1000   # samples drawn from a dataset without a held-out split
LATENTS = 1000        # z draws for the correlation of z and E(G(z))
KNN_K = 5


def held_out(dataset: Dataset) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None, torch.Tensor | None]:
    """(x_test, y_test, x_train, y_train): the benchmark digits split for digits data, else fresh draws."""
    if "digits" in dataset.spec.metrics:
        from ..data.digits import digits_arrays

        return (*digits_arrays("test"), *digits_arrays("train"))
    return dataset.sample(HELD_OUT_TOY, torch.Generator().manual_seed(0)), None, None, None


def encoder_metrics(exp, dataset: Dataset, use_ema: bool = True) -> dict[str, float]:
    """recon_mse: mean (x - G(E(x)))^2 on held-out data; recon_class: share of held-out digits whose reconstruction
    the digits evaluator puts in the digit's own class (both where the codes decode back to data); rho: mean
    Pearson correlation of z and E(G(z)) (where the objective samples); knn: 5-NN class accuracy on held-out codes, fitted on the training
    digits' codes; plus the objective's code statistics (a quantizer's usage and perplexity)."""
    x_test, y_test, x_train, y_train = held_out(dataset)
    codes = exp.encode(x_test, use_ema)
    reconstructs = exp.objective.capabilities.reconstructs
    recon = exp.reconstruct(x_test, use_ema) if reconstructs else None
    out = {"recon_mse": float((x_test - recon).pow(2).mean())} if reconstructs else {}
    if exp.objective.capabilities.samples:
        z = exp.objective.sample_z(LATENTS, torch.Generator().manual_seed(1))
        out["rho"] = float(pearson(z, exp.encode(exp.generate(z, use_ema), use_ema)).mean())
    out.update(exp.code_statistics(x_test, use_ema))
    if y_test is not None and reconstructs:
        out["recon_class"] = float((features_and_logits(recon)[1].argmax(1) == y_test).double().mean())
    if y_test is not None:
        knn = KNeighborsClassifier(n_neighbors=KNN_K).fit(exp.encode(x_train, use_ema).numpy(), y_train.numpy())
        out["knn"] = float(knn.score(codes.numpy(), y_test.numpy()))
    return out
