"""Images at a size the networks cannot take (MNIST's 28 x 28 for the power-of-two DCGAN and SNGAN networks)
are fitted to the nearest side they take, by a stated rule, instead of stopping the run:

- data.resolution 0 (the native size) and a network that refuses the side: the images are padded, centred,
  with a black (-1) border, to the next side the networks take (28 -> 32, as LeNet-5 padded MNIST), or,
  when they are larger than any side the networks take, resized down to the largest;
- the choice is written into the run's config (data.resolution, data.fit), so evaluation, sampling and
  resume read the data the same way, and one line says what was done;
- any data.resolution the user sets is kept as it is (data.fit=resize resizes to it instead of padding)."""
from __future__ import annotations

import torch

from .config import Config
from .data import Dataset, dataset_for
from .data.decode import notice
from .errors import ResolutionError


def fit_data_to_networks(cfg: Config, dataset: Dataset) -> Dataset:
    """The dataset as the config's networks take it: unchanged when they build for its side (or the user chose
    data.resolution), else re-read at the side they take, with cfg.data.resolution / cfg.data.fit set to say
    how. The networks are built on the meta device to find out, so nothing is allocated."""
    from .objectives import build_objective

    spec = dataset.spec
    if cfg.data.resolution or not spec.is_image:
        return dataset
    try:
        with torch.device("meta"):
            build_objective(cfg, spec)
        return dataset
    except ResolutionError as err:
        side, fits = err.side, err.fits
    cfg.data.resolution, cfg.data.fit = fits, ("pad" if fits > side else "resize")
    how = ("padded, centred, with a black border" if cfg.data.fit == "pad" else "resized (antialiased)")
    notice(f"{spec.name} is {side}x{side}, a side the networks do not take; its images are {how} to {fits}x{fits} "
           f"(data.resolution={fits} data.fit={cfg.data.fit}; set data.resolution to choose another side)")
    return dataset_for(cfg.data)
