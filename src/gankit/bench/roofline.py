"""The roofline of `gankit bench speed`: for each preset's training iteration and each evaluation network,
the time, the FLOPs it does (bench/flops.py), the rate it reaches and its fraction of the machine's matmul
peak, measured in the same run at the same thread count."""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch

from .flops import Peak, count_flops, flops_per_iteration, measure_peak, median_seconds

ROOFLINE_PRESETS = ("ring8-wgan-gp", "digits-wgan-gp", "digits-sngan", "emoji-dcgan", "emoji-cgan")  # + T3's GANs
EVALUATOR_IMAGES = 797  # one digits evaluation's samples (docs/benchmarks.md section 3)
INCEPTION_IMAGES = 64  # one batch of the Inception extractor (metrics/inception.py BATCH)
INCEPTION_IMAGE_SIZE = 32  # the emoji benchmark's images; the network resizes them to 299
NOT_INSTALLED = "weights not installed"


@dataclass
class Row:
    """One workload: seconds and FLOPs per unit (a training iteration or one image), or a note saying why
    it was not measured."""

    workload: str
    unit: str  # 'iteration' | 'image'
    precision: str = ""
    seconds: float | None = None
    flops: float | None = None
    note: str = ""

    def gflops_per_second(self) -> float:
        return self.flops / self.seconds / 1e9

    def fractions(self, peak: Peak) -> dict[str, float]:
        """The rate over the fp32 peak, and over the bf16 peak when bf16 operations ran."""
        out = {"fp32": self.gflops_per_second() / peak.fp32}
        if "bf16" in self.precision:
            out["bf16"] = self.gflops_per_second() / peak.bf16
        return out

    def record(self, peak: Peak) -> dict:
        """The row as JSON: measured values per unit, or the note."""
        if self.seconds is None:
            return {"workload": self.workload, "unit": self.unit, "note": self.note}
        return {"workload": self.workload, "unit": self.unit, "precision": self.precision,
                "seconds_per_unit": self.seconds, "flops_per_unit": self.flops,
                "gflops_per_second": self.gflops_per_second(), "fraction_of_peak": self.fractions(peak)}


def repeated(work, times: int):
    def run():
        for _ in range(times):
            work()
    return run


def preset_row(preset: str, workdir: Path, repeats: int, iterations: int) -> Row:
    """The preset's training iteration as shipped (EMA on; samples, evaluations and checkpoints left out)."""
    from .speed import preset_trainer

    trainer = preset_trainer(preset, workdir)
    count = flops_per_iteration(trainer)
    seconds = median_seconds(repeated(trainer.train_iteration, iterations), repeats) / iterations
    return Row(preset, "iteration", count.precision, seconds, count.flops)


def evaluator_row(repeats: int, iterations: int) -> Row:
    """The digits evaluator's features and logits of one evaluation's worth of 1x8x8 images."""
    from ..metrics.digits import features_and_logits

    images = torch.rand(EVALUATOR_IMAGES, 1, 8, 8, generator=torch.Generator().manual_seed(0)) * 2 - 1
    count = count_flops(lambda: features_and_logits(images))
    seconds = median_seconds(repeated(lambda: features_and_logits(images), iterations), repeats) / iterations
    return Row("digits evaluator", "image", count.precision, seconds / len(images), count.flops / len(images))


def inception_row(repeats: int, images: int) -> Row:
    """The Inception extractor (pool3 features and logits) on a batch of 32x32 RGB images, through the
    public loader: whatever the installed weights and metrics/inception.py make of it."""
    from ..errors import GankitError
    from ..metrics import inception

    workload = "Inception-v3 features"
    try:
        inception.resolve_weights(None)
    except GankitError:
        return Row(workload, "image", note=NOT_INSTALLED)
    extract, _ = inception.inception_extractor(None)
    size = INCEPTION_IMAGE_SIZE
    batch = torch.rand(images, 3, size, size, generator=torch.Generator().manual_seed(0)) * 2 - 1
    count = count_flops(lambda: extract(batch))
    seconds = median_seconds(lambda: extract(batch), repeats)
    return Row(f"{workload} ({size}x{size}, {extract.resize})", "image", count.precision, seconds / images,
               count.flops / images)


def run_roofline(presets: tuple[str, ...] = ROOFLINE_PRESETS, repeats: int = 5, iterations: int = 20,
                 threads: int = 1, inception_images: int = INCEPTION_IMAGES) -> tuple[Peak, list[Row]]:
    """The peak, then a row per preset and per evaluation network, all at `threads` torch threads."""
    torch.set_num_threads(threads)
    peak = measure_peak(repeats)
    with tempfile.TemporaryDirectory() as tmp:
        rows = [preset_row(preset, Path(tmp), repeats, iterations) for preset in presets]
    rows.append(evaluator_row(repeats, iterations))
    rows.append(inception_row(repeats, inception_images))
    return peak, rows


def time_cell(row: Row) -> str:
    if row.unit == "iteration":
        return f"{row.seconds * 1e3:.2f} ms/iter"
    return f"{1 / row.seconds:,.1f} images/s"


def peak_cell(row: Row, peak: Peak) -> str:
    return ", ".join(f"{100 * value:.1f}% of {name}" for name, value in sorted(row.fractions(peak).items()))


def roofline_table(peak: Peak, rows: list[Row]) -> str:
    """The peak line and a Markdown table (pastes into the README as it is)."""
    lines = [peak.line(), "",
             "| workload | precision | ms/iter or images/s | GFLOP per iter or image | GFLOP/s | % of peak |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        if row.seconds is None:
            lines.append(f"| {row.workload} | - | {row.note} | - | - | - |")
            continue
        lines.append(f"| {row.workload} | {row.precision} | {time_cell(row)} | {row.flops / 1e9:.4g} | "
                     f"{row.gflops_per_second():.2f} | {peak_cell(row, peak)} |")
    return "\n".join(lines)


def roofline_record(peak: Peak, rows: list[Row]) -> dict:
    return {"peak": {"fp32_gflops": peak.fp32, "bf16_gflops": peak.bf16, "threads": peak.threads, "cpu": peak.cpu},
            "rows": [row.record(peak) for row in rows]}
