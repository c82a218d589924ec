import math

import torch

from gankit.data import load_dataset
from gankit.metrics import toy_metrics


def test_real_ring8_data_is_calibrated():
    ds = load_dataset("ring8")
    m = toy_metrics(ds.sample(2500, torch.Generator().manual_seed(0)), ds.modes.means, ds.modes.std)
    assert m["modes"] == 8
    assert abs(m["hq"] - (1 - math.exp(-4.5))) < 0.01  # P(chi2_2 < 9) = 1 - e^-4.5 = 0.989
    assert m["reverse_kl"] < 0.01


def test_one_mode_generator_has_reverse_kl_ln_k():
    ds = load_dataset("ring8")
    one = ds.modes.means[3].expand(500, 2)
    m = toy_metrics(one, ds.modes.means, ds.modes.std)
    assert (m["modes"], m["hq"]) == (1, 1.0)
    assert abs(m["reverse_kl"] - math.log(8)) < 1e-9


def test_no_hq_sample():
    ds = load_dataset("grid25")
    m = toy_metrics(torch.full((100, 2), 10.0), ds.modes.means, ds.modes.std)
    assert (m["modes"], m["hq"]) == (0, 0.0) and abs(m["reverse_kl"] - math.log(25)) < 1e-9


def test_two_modes_equal_weight():
    ds = load_dataset("ring8")
    x = torch.cat([ds.modes.means[0].expand(50, 2), ds.modes.means[1].expand(50, 2)])
    assert abs(toy_metrics(x, ds.modes.means, ds.modes.std)["reverse_kl"] - math.log(4)) < 1e-9
