import torch
from torch import nn
from torch.testing import assert_close

from gankit.training.ema import EMA


def test_ema_matches_closed_form_average():
    net = nn.Linear(2, 1, bias=False)
    ema = EMA(net, decay=0.5)
    w0 = net.weight.detach().clone()
    expected = w0.clone()
    for t, value in enumerate([1.0, 2.0, 3.0, 4.0]):
        with torch.no_grad():
            net.weight.fill_(value)
        ema.update(net)
        m = min(0.5, (1 + t) / (10 + t))
        expected = m * expected + (1 - m) * value
    assert_close(ema.module.weight, expected)
    assert not ema.module.weight.requires_grad and not ema.module.training


def test_ema_averages_batchnorm_statistics_and_copies_counters():
    net = nn.BatchNorm1d(3)
    ema = EMA(net, decay=0.0)  # decay 0: a plain copy
    net(torch.randn(16, 3) * 5 + 2)
    ema.update(net)
    assert_close(ema.module.running_mean, net.running_mean)
    assert ema.module.num_batches_tracked == net.num_batches_tracked == 1


def test_a_network_without_parameters_is_averaged_without_error():
    from torch import nn

    ema = EMA(nn.ReLU(), decay=0.9)
    ema.update(nn.ReLU())
    assert ema.num_updates == 1
