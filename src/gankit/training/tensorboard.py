"""TensorBoard (log.tensorboard, extra gankit[tensorboard]): every metrics.jsonl record as scalars, every
sample picture (image grid or 2-D plot) as an image, under RUN/tensorboard/. metrics.jsonl stays the record."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ConfigError


class TensorBoardSink:
    def __init__(self, log_dir: Path, resumed_at: int = 0):
        """resumed_at: the step a resumed run restarts from; events past it (written before the stop) are
        dropped, as metrics.jsonl drops its records past it."""
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise ConfigError("config field log.tensorboard: the tensorboard package is not installed; "
                              "pip install 'gankit[tensorboard]' or set log.tensorboard=false") from None
        self.writer = SummaryWriter(log_dir=str(log_dir), purge_step=resumed_at + 1 if resumed_at else None)

    def rewind(self, step: int) -> None:
        """A rollback to `step`: the events past it are purged, as metrics.jsonl drops its records past it, so
        TensorBoard draws the run that goes on."""
        self.writer.close()
        self.writer = type(self.writer)(log_dir=self.writer.log_dir, purge_step=step + 1)

    def scalars(self, record: dict) -> None:
        if "event" in record:  # a rollback or a failed evaluation: metrics.jsonl tells it; no curve to draw
            return
        step = int(record["step"])
        for key, value in record.items():
            if key != "step" and isinstance(value, (int, float)) and not isinstance(value, bool):
                self.writer.add_scalar(key, value, step)
        self.writer.flush()

    def image(self, tag: str, png: Path, step: int) -> None:
        from PIL import Image

        with Image.open(png) as im:
            pixels = np.asarray(im.convert("RGB"))  # [H, W, 3]
        self.writer.add_image(tag, pixels, step, dataformats="HWC")
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
