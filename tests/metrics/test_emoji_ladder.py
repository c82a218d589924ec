"""The T3 ladder's rungs on test-made emoji data: the sets it compares, the blur, the Gaussian, the order."""
import torch

from gankit.cli import main
from gankit.data.emoji_build import build_emoji
from gankit.metrics.emoji_ladder import blurred, gaussian_in_pixels, rungs

from ..data.test_emoji import tarballs  # noqa: F401  (the fixture)


def test_rungs_draw_disjoint_sets_of_n():
    both = torch.arange(20.0).view(20, 1, 1, 1).expand(20, 3, 8, 8).clone()
    google, twitter = both[:10] + 100, both[10:] + 200
    sets = rungs(both, google, twitter, n=6, seed=0)
    other, reference = sets["another 6 training images"]
    assert len(other) == len(reference) == 6 and not set(other[:, 0, 0, 0].tolist()) & set(reference[:, 0, 0, 0].tolist())
    a, b = sets["two halves of the Google images"]
    assert len(a) == len(b) == 3 and not set(a[:, 0, 0, 0].tolist()) & set(b[:, 0, 0, 0].tolist())
    g, t = sets["Google against Twitter"]
    assert (g >= 100).all() and (g < 200).all() and (t >= 200).all()
    noise, _ = sets["uniform noise"]
    assert noise.shape == (6, 3, 8, 8) and noise.min() >= -1 and noise.max() <= 1


def test_blur_keeps_constants_and_smooths_an_edge():
    flat = torch.full((1, 3, 8, 8), 0.25)
    assert torch.allclose(blurred(flat), flat)
    edge = -torch.ones(1, 1, 8, 8)
    edge[..., 4:] = 1.0
    row = blurred(edge)[0, 0, 0]
    assert (row[1:] >= row[:-1]).all() and -1 < row[3] < 0 < row[4] < 1  # monotone, the step softened


def test_gaussian_matches_the_pixel_mean_and_covariance():
    g = torch.Generator().manual_seed(0)
    shared = torch.rand(400, 1, 1, 1, generator=g) * 0.3  # a brightness every pixel shares: covariance 0.0075
    x = torch.rand(400, 1, 4, 4, generator=g) * 0.3 + shared + torch.linspace(-0.5, 0.2, 16).view(1, 1, 4, 4)
    drawn = gaussian_in_pixels(x, 20000, seed=1)
    assert drawn.shape == (20000, 1, 4, 4) and drawn.abs().max() <= 1  # clipping is rare here: at most 0.8 + 3 sd
    assert torch.allclose(drawn.mean(0), x.mean(0), atol=0.01)
    cov, target = torch.cov(drawn.flatten(1).T.double()), torch.cov(x.flatten(1).T.double())
    assert torch.allclose(cov, target, atol=0.003)  # the full covariance, not just the variances


def test_ladder_command_without_inception(tarballs, tmp_path, capsys):  # noqa: F811
    build_emoji(tarballs, tmp_path / "data", (32,), quiet=True)
    assert main(["ladder", "emoji", "-n", "4", "--features", "none", "-o", str(tmp_path / "ladder.json")]) == 0
    out = capsys.readouterr().out
    assert "| rung | SWD | seconds |" in out and "| uniform noise |" in out
    import json

    rows = json.loads((tmp_path / "ladder.json").read_text())
    assert rows["uniform noise"]["swd/avg"] > rows["another 4 training images"]["swd/avg"]
