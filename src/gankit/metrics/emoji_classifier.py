"""The emoji category classifier: a small conv net on the 32x32 RGB emoji with a fixed recipe, seed and held-out
split (docs/benchmarks.md section 10), the judge of a class-conditional run's requested-category accuracy. Its
weights ship beside this file (about 0.4 MB); `gankit emoji-classifier` retrains them from the built dataset."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .shipped_weights import load_weights, save_weights, weights_version
from .digits_classifier import single_thread

RECIPE = "emoji-cnn-v2"  # bump when the recipe, the split or the architecture changes
WEIGHTS = Path(__file__).with_name("emoji_classifier.safetensors")
CLASSES, RESOLUTION = 10, 32  # the emoji datasets' labels: emoji.json's 9 categories and Component
EPOCHS, BATCH, LR, WEIGHT_DECAY, HELD_OUT, SEED = 16, 64, 1e-3, 1e-4, 0.2, 0


class EmojiClassifier(nn.Module):
    """(3x3 conv, ReLU, 2x2 max-pool) x 3 at 32, 64, 128 channels, global average pool, linear to the classes."""

    def __init__(self, classes: int = CLASSES):
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 3
        for c in (32, 64, 128):
            layers += [nn.Conv2d(c_in, c, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2)]
            c_in = c
        self.body = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(c_in, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))  # [N, 3, 32, 32] in [-1, 1] -> [N, classes] logits


def held_out_split(n: int, fraction: float = HELD_OUT, seed: int = SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """(training indices, held-out indices): a seeded permutation, its last `fraction` held out."""
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    cut = n - int(round(n * fraction))
    return perm[:cut], perm[cut:]


def train_classifier(x: torch.Tensor, y: torch.Tensor, classes: int = CLASSES, epochs: int = EPOCHS,
                     seed: int = SEED) -> EmojiClassifier:
    """Adam 1e-3, weight decay 1e-4, batches of 64 with random horizontal flips (no category depends on
    left and right), cross-entropy weighted by each class's inverse square-root frequency (People & Body is 60 % of
    the emoji, Component 0.1 %), one thread, seeded: the same CPU kernels give the same weights."""
    gen = torch.Generator().manual_seed(seed)
    counts = torch.bincount(y, minlength=classes).clamp(min=1).double()
    weights = (len(y) / (classes * counts)).sqrt().float()
    with single_thread():
        torch.manual_seed(seed)
        model = EmojiClassifier(classes)
        opt = torch.optim.Adam(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
        batch = min(BATCH, len(x))
        for _ in range(epochs):
            perm = torch.randperm(len(x), generator=gen)
            for start in range(0, len(x) - batch + 1, batch):  # drop the ragged end
                idx = perm[start : start + batch]
                flip = torch.rand(len(idx), generator=gen) < 0.5
                images = torch.where(flip[:, None, None, None], x[idx].flip(3), x[idx])
                loss = F.cross_entropy(model(images), y[idx], weight=weights)
                opt.zero_grad()
                loss.backward()
                opt.step()
    return model.eval()


def predict(model: EmojiClassifier, x: torch.Tensor, batch: int = 500) -> torch.Tensor:
    """Class indices [N] of images [N, 3, 32, 32] in [-1, 1]."""
    with torch.no_grad():
        return torch.cat([model(x[i : i + batch]).argmax(1) for i in range(0, len(x), batch)])


def accuracies(model: EmojiClassifier, x: torch.Tensor, y: torch.Tensor, classes: int = CLASSES) -> dict[str, float]:
    """accuracy over the images, and balanced accuracy: the mean over the classes present of each class's recall
    (the reference for samples requested evenly over the classes)."""
    hit = (predict(model, x) == y).double()
    recalls = [float(hit[y == c].mean()) for c in range(classes) if bool((y == c).any())]
    return {"accuracy": float(hit.mean()), "balanced_accuracy": sum(recalls) / len(recalls)}


def save_classifier(model: EmojiClassifier, path: Path = WEIGHTS) -> str:
    return save_weights(model, path, RECIPE)


def version_of(path: Path) -> str:
    """The recipe name and the first 8 hex digits of the weights file's SHA-256."""
    return weights_version(path, RECIPE)


@lru_cache(maxsize=2)
def load_classifier(path: Path = WEIGHTS) -> tuple[EmojiClassifier, str]:
    """The shipped classifier (eval mode, no gradients) and its version name."""
    return load_weights(EmojiClassifier(), path, RECIPE, f"emoji classifier weights {path} are missing; retrain them with: gankit emoji-classifier")


def class_accuracy(samples: torch.Tensor, classes: torch.Tensor, path: Path = WEIGHTS) -> dict[str, float]:
    """class_acc: the share of samples the classifier puts in their requested category; class_acc_min: the worst
    requested category's share."""
    model, _ = load_classifier(path)
    hit = (predict(model, samples) == classes).double()
    per_class = [float(hit[classes == c].mean()) for c in classes.unique().tolist()]
    return {"class_acc": float(hit.mean()), "class_acc_min": min(per_class)}
