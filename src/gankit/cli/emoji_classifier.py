"""`gankit emoji-classifier`: retrain the emoji category classifier (the judge of conditional emoji runs)."""
from __future__ import annotations

import argparse
from pathlib import Path

from .common import check_output


def cmd_emoji_classifier(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from ..config import DataConfig
    from ..data import dataset_for
    from ..errors import DataError
    from ..metrics.emoji_classifier import (CLASSES, RESOLUTION, WEIGHTS, accuracies, held_out_split, save_classifier,
                                            train_classifier)

    out = Path(args.output) if args.output else WEIGHTS
    check_output(out, (".safetensors",))  # before the training, not after
    data = dataset_for(replace(DataConfig(), name="emoji", resolution=RESOLUTION))
    if data.labels is None or data.spec.num_classes != CLASSES or data.spec.shape != (3, RESOLUTION, RESOLUTION):
        raise DataError(f"dataset emoji: expected 32x32 RGB images with {CLASSES} category labels; rebuild it with "
                        "`make emoji`")
    train, held = held_out_split(len(data.x))
    model = train_classifier(data.x[train], data.labels[train])
    scores = accuracies(model, data.x[held], data.labels[held])
    version = save_classifier(model, out)
    print(f"trained {version} on {len(train)} emoji; on the {len(held)} held out: accuracy {scores['accuracy']:.2%}, "
          f"balanced accuracy (mean recall over the categories) {scores['balanced_accuracy']:.2%}; wrote {out}")
    return 0


def add_parser(sub) -> None:
    ec = sub.add_parser("emoji-classifier", help="retrain the emoji category classifier with its fixed recipe",
                        description="Retrain the emoji category classifier (fixed recipe, seed and 20 %% held-out "
                                    "split of the `emoji` dataset, one thread) and print its held-out accuracy; it "
                                    "scores class-conditional emoji runs (metric emoji-classes).")
    ec.add_argument("-o", "--output", metavar="FILE", help="where to write (default: the shipped weights file)")
    ec.set_defaults(func=cmd_emoji_classifier)
