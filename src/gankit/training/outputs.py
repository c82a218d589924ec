"""What a run leaves behind as it trains: loss lines, sample pictures, metric evaluations and the progress
bar's summary. A mixin of the Trainer (trainer.py), whose attributes it reads."""
from __future__ import annotations

from pathlib import Path

import torch
from tqdm import tqdm

from ..evaluation import EVAL_SEED_OFFSET, evaluate_run, evaluated_at
from ..metrics import HEADLINE
from ..viz import critic_grid, plot_bounds, plot_points, save_image_grid
from . import distributed
from .faults import attempt

SAMPLE_SEED_OFFSET, REAL_SEED_OFFSET = 1, 3  # side streams apart from training's RNG (evaluations: EVAL_SEED_OFFSET)
MEASURE_SEED_OFFSET = 7  # the items an objective measures before a fresh run (Objective.measure_data)
__all__ = ["RunOutputs", "SAMPLE_SEED_OFFSET", "EVAL_SEED_OFFSET", "REAL_SEED_OFFSET", "MEASURE_SEED_OFFSET"]


class RunOutputs:
    def note(self, text: str) -> None:
        """A line on how this run computes (train.precision auto's choice, compile times): on the console, and in
        metrics.jsonl as an event where the run directory exists (rank 0 alone)."""
        if distributed.is_main():
            tqdm.write(f"gankit: {text}")
            if self.run_dir.is_dir():
                self.log.write({"step": self.step, "event": "note", "note": text})

    def accumulate(self, phase, losses: dict[str, torch.Tensor]) -> None:
        """Adds a phase's losses to the means of the next loss line (its total under the phase's name)."""
        self.loss_meter.add_all({f"{phase.name}/{key}" if key == "total" else key: value
                                 for key, value in losses.items()})

    def write_losses(self) -> dict[str, float]:
        """Mean losses since the last line (averaged over the processes too); every process calls it, rank 0 writes."""
        means = distributed.mean_across_ranks(self.loss_meter.take_means())
        self.last_losses = {k: float(v) for k, v in means.items()}
        if distributed.is_main():
            self.log.write({"step": self.step, **self.last_losses})
        return self.last_losses

    def write_samples(self) -> Path | None:
        """The picture of the samples (or of reconstructions); None for a model with neither (codes only)."""
        caps = self.exp.objective.capabilities
        if not (caps.samples or caps.reconstructs):
            return None
        path = self.run_dir / "samples" / f"step-{self.step:07d}.png"
        with torch.random.fork_rng(devices=self.rng_devices()), self.compiler.eager():
            fake = self.exp.generate(self.fixed_z) if self.exp.objective.capabilities.samples else self.reconstructions()
            if self.exp.spec.is_image:
                save_image_grid(fake, path)
                self.log.image("samples", path, self.step)
                return path
            real = self.dataset.sample(1000, torch.Generator().manual_seed(self.cfg.seed + REAL_SEED_OFFSET))
            critic = lambda x: self.exp.objective.critic_value(x.to(self.exp.device))  # noqa: E731  (None: no critic)
            drawn = fake.shape[1] == 2 and critic(real[:1]) is not None
            landscape = critic_grid(*plot_bounds(fake[:, :2], real[:, :2]), lambda x: critic(x).cpu()) if drawn else None
        fake, real = fake[:, :2], real[:, :2]
        self.painter.submit(self.draw_points, fake, real, landscape, path, self.step)
        return path

    def draw_points(self, fake, real, landscape, path: Path, step: int) -> None:
        """On the painter's thread: the 2-D plot from values computed at `step`."""
        plot_points(fake, path, real, title=f"{self.cfg.name} step {step}", landscape=landscape)
        self.log.image("samples", path, step)

    def reconstructions(self) -> torch.Tensor:
        """Fixed real items above their reconstructions: the pictures of a model that cannot sample."""
        real = self.dataset.sample(len(self.fixed_z) // 2, torch.Generator().manual_seed(self.cfg.seed + REAL_SEED_OFFSET))
        return torch.cat([real, self.exp.reconstruct(real)])

    def run_eval(self) -> dict[str, float]:
        """The run's evaluation (the dataset's metrics, the encoder's) on the fixed evaluation noise."""
        if self.eval_plan.empty:
            return {}
        with self.compiler.eager():
            self.last_eval = evaluate_run(self.exp, self.dataset, self.eval_plan, self.eval_z)
        self.log.write({"step": self.step, **self.last_eval})
        return self.last_eval

    def complete_interrupted(self) -> None:
        """After a resume: the sample grid and the evaluation due at the checkpoint's step that a kill cut short
        (no picture on disk, no record in metrics.jsonl), done now as the run never stopped would have: both
        draw on forked RNG streams, so training goes on unchanged."""
        if not self.resumed_from:
            return
        log, final = self.cfg.log, self.step >= self.cfg.train.steps
        samples = self.run_dir / "samples" / f"step-{self.step:07d}.png"
        if (self.periodic(log.sample_every) or final) and not samples.exists():
            attempt("sampling", self.step, self.log, self.write_samples)
        if (self.periodic(log.eval_every) or final) and not evaluated_at(self.log.read(), self.step):
            attempt("evaluation", self.step, self.log, self.run_eval)
        self.painter.wait()

    def postfix(self, record: dict[str, float]) -> dict[str, str]:
        shown = {k.split("/")[-1] if k.endswith("/total") else k: v for k, v in record.items()
                 if k.endswith("_loss")}
        for metric in self.exp.spec.metrics:
            for key in HEADLINE.get(metric, ()):
                if f"{metric}/{key}" in self.last_eval:
                    shown[key] = self.last_eval[f"{metric}/{key}"]
        return {k: f"{v:.3g}" for k, v in shown.items()}

    def rng_devices(self) -> list:
        """The devices whose RNG side work (samples, evaluations, chains) forks, so it never moves training's."""
        return [self.exp.device] if self.exp.device.type == "cuda" else []
