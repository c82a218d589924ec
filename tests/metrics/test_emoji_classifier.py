"""The emoji category classifier's recipe on a tiny separable set, its split, and the conditional metric's refusals."""
import pytest
import torch

from gankit.errors import ConfigError
from gankit.metrics import emoji_classifier as ec
from gankit.metrics import evaluate


def coloured_squares(per_class: int, classes: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """16x16 images on white, class c a square of its own colour at a random place, plus pixel noise."""
    gen = torch.Generator().manual_seed(seed)
    colours = torch.rand(classes, 3, generator=torch.Generator().manual_seed(99)) * 2 - 1
    y = torch.arange(classes).repeat_interleave(per_class)
    x = torch.ones(len(y), 3, 16, 16)
    for i, c in enumerate(y.tolist()):
        top, left = torch.randint(0, 8, (2,), generator=gen).tolist()
        x[i, :, top : top + 8, left : left + 8] = colours[c][:, None, None]
    return (x + 0.05 * torch.randn(x.shape, generator=gen)).clamp(-1, 1), y


def test_the_recipe_learns_a_separable_set_and_generalises_to_held_out_images():
    x, y = coloured_squares(12, 4, seed=0)
    train, held = ec.held_out_split(len(x), 0.25)
    assert len(held) == 12 and len(set(train.tolist()) | set(held.tolist())) == len(x)  # a partition
    model = ec.train_classifier(x[train], y[train], classes=4, epochs=30)
    scores = ec.accuracies(model, x[held], y[held], classes=4)
    assert scores["accuracy"] >= 0.9 and scores["balanced_accuracy"] >= 0.9
    other_x, other_y = coloured_squares(5, 4, seed=1)  # fresh draws of the same classes
    assert ec.accuracies(model, other_x, other_y, classes=4)["accuracy"] >= 0.9
    untrained = ec.EmojiClassifier(4).eval()
    assert ec.accuracies(untrained, other_x, other_y, classes=4)["accuracy"] < 0.9  # the bound means something


def test_balanced_accuracy_weighs_every_class_alike():
    x, y = coloured_squares(1, 2, seed=0)
    model = ec.EmojiClassifier(2).eval()
    x, y = torch.cat([x[:1].repeat(9, 1, 1, 1), x[1:]]), torch.tensor([0] * 9 + [1])
    predicted = ec.predict(model, x)
    scores = ec.accuracies(model, x, y, classes=2)
    hits = (predicted == y).double()
    assert scores["accuracy"] == pytest.approx(float(hits.mean()))
    assert scores["balanced_accuracy"] == pytest.approx((float(hits[:9].mean()) + float(hits[9])) / 2)


def test_the_shipped_weights_load_and_the_metric_needs_requested_classes(tmp_path):
    model, version = ec.load_classifier()
    assert version.startswith(ec.RECIPE) and sum(p.numel() for p in model.parameters()) < 250_000
    samples = torch.rand(20, 3, 32, 32) * 2 - 1
    classes = torch.arange(10).repeat(2)
    scores = ec.class_accuracy(samples, classes)
    assert 0 <= scores["class_acc_min"] <= scores["class_acc"] <= 1
    with pytest.raises(Exception, match="emoji-classifier"):
        ec.load_classifier(tmp_path / "missing.safetensors")


def test_the_metric_refuses_unconditional_samples_and_other_data():
    from gankit.data import TensorDataset
    from gankit.data.base import DataSpec

    spec = DataSpec("emoji", (3, 32, 32), 10, True, ("swd",))
    data = TensorDataset(spec, torch.zeros(4, 3, 32, 32), torch.zeros(4, dtype=torch.long))
    with pytest.raises(ConfigError, match="class-conditional"):
        evaluate(torch.zeros(4, 3, 32, 32), data, names=["emoji-classes"])
    digits = TensorDataset(DataSpec("digits", (1, 8, 8), 10, True, ("digits",)), torch.zeros(4, 1, 8, 8))
    with pytest.raises(ConfigError, match="metric emoji-classes needs"):
        evaluate(torch.zeros(4, 1, 8, 8), digits, torch.zeros(4, dtype=torch.long), names=["emoji-classes"])
    # 10-class 32x32 RGB data that is not the emoji (a CIFAR-10-like folder) is not scored by the emoji classifier
    other = TensorDataset(DataSpec("folder:cifar", (3, 32, 32), 10, True, ("swd",)), torch.zeros(4, 3, 32, 32))
    with pytest.raises(ConfigError, match="metric emoji-classes needs"):
        evaluate(torch.zeros(4, 3, 32, 32), other, torch.zeros(4, dtype=torch.long), names=["emoji-classes"])
