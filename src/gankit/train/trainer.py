"""The one training loop. It runs the objective's phases as the schedule says, and is the only place
that calls backward() and step(); it never branches on the algorithm."""
from __future__ import annotations

import contextlib
import signal
import threading
from pathlib import Path

import torch
from tqdm import tqdm

from ..data import Dataset
from ..errors import CheckpointError, TrainingDiverged
from ..experiment import Experiment
from ..metrics import HEADLINE, evaluate
from ..metrics.encoder import encoder_metrics
from ..objectives import Batch, Phase
from ..viz import plot_points, save_image_grid
from .checkpoint import checkpoint_path, find_checkpoint, list_checkpoints, load_checkpoint, prune_checkpoints, save_checkpoint
from .logging import MetricsLog
from .schedule import SCHEDULES

SAMPLE_SEED_OFFSET, EVAL_SEED_OFFSET, REAL_SEED_OFFSET = 1, 2, 3  # side streams, apart from training's RNG


class Trainer:
    def __init__(self, exp: Experiment, dataset: Dataset, run_dir: Path):
        self.exp, self.dataset, self.run_dir = exp, dataset, Path(run_dir)
        self.cfg = exp.cfg
        self.schedule = SCHEDULES.get(self.cfg.train.schedule)(self.cfg.train)
        self.phases = self.schedule.phases(exp.objective)  # the objective's, or one combined phase
        self.batches = dataset.batches(self.cfg.data.batch_size)
        self.log = MetricsLog(self.run_dir / "metrics.jsonl")
        self.step = 0
        self.phase_steps = {phase.name: 0 for phase in self.phases}  # runs of each phase so far
        self.interrupted = False
        self.last_eval: dict[str, float] = {}
        self._sums: dict[str, torch.Tensor] = {}
        self._counts: dict[str, int] = {}
        seed = self.cfg.seed
        n_fixed = self.cfg.log.num_samples if exp.spec.is_image else self.cfg.log.eval_samples
        self.fixed_z = exp.objective.sample_z(n_fixed, torch.Generator().manual_seed(seed + SAMPLE_SEED_OFFSET))
        self.eval_z = exp.objective.sample_z(self.cfg.log.eval_samples,
                                             torch.Generator().manual_seed(seed + EVAL_SEED_OFFSET))

    # --- one iteration ------------------------------------------------------------------------

    def run_phase(self, phase: Phase) -> None:
        nets, device = self.exp.objective.nets, self.exp.device
        x, y = self.batches.next()
        batch = Batch(x.to(device), None if y is None else y.to(device),
                      self.exp.objective.sample_z(len(x), device=device), self.phase_steps[phase.name])
        # only the phase's networks need gradients; the others are constants in this phase
        for name, net in nets.items():
            net.requires_grad_(name in phase.networks)
        losses = phase.loss(batch)
        self.check_finite(phase, losses)
        for name in phase.networks:
            self.exp.optimizers[name].zero_grad(set_to_none=True)
        losses["total"].backward()
        # step, then re-impose each network's constraints (e.g. weight clipping)
        for name in phase.networks:
            self.exp.updates[name].step()  # gradient transforms, clipping, lr schedule, optimizer step
            for constraint in self.exp.constraints[name]:
                constraint(nets[name])
            if name in self.exp.ema:
                self.exp.ema[name].update(nets[name])
        self.phase_steps[phase.name] += 1
        self.accumulate(phase, losses)

    def check_finite(self, phase: Phase, losses: dict[str, torch.Tensor]) -> None:
        if bool(torch.isfinite(losses["total"])):
            return
        bad = next((k for k, v in losses.items() if k != "total" and not torch.isfinite(v)), "total")
        kept = list_checkpoints(self.run_dir)
        where = f"the last good checkpoint is {kept[-1]}" if kept else "no checkpoint was written yet"
        raise TrainingDiverged(f"loss {bad} of phase {phase.name} became {float(losses[bad].detach())} at step {self.step + 1}; "
                               f"stopped, {where} (try a lower learning rate)")

    def accumulate(self, phase: Phase, losses: dict[str, torch.Tensor]) -> None:
        for key, value in losses.items():
            name = f"{phase.name}/{key}" if key == "total" else key
            self._sums[name] = self._sums.get(name, 0.0) + value.detach()
            self._counts[name] = self._counts.get(name, 0) + 1

    # --- periodic work ------------------------------------------------------------------------

    def write_losses(self) -> dict[str, float]:
        record = {k: float(v) / self._counts[k] for k, v in self._sums.items()}
        self._sums, self._counts = {}, {}
        self.log.write({"step": self.step, **record})
        return record

    def write_samples(self) -> Path:
        path = self.run_dir / "samples" / f"step-{self.step:07d}.png"
        with torch.random.fork_rng(devices=[]):
            fake = self.exp.generate(self.fixed_z)
            if self.exp.spec.is_image:
                save_image_grid(fake, path)
            else:
                real = self.dataset.sample(1000, torch.Generator().manual_seed(self.cfg.seed + REAL_SEED_OFFSET))
                critic = lambda x: self.exp.objective.critic_value(x.to(self.exp.device)).cpu()  # noqa: E731
                plot_points(fake[:, :2], path, real[:, :2], critic if fake.shape[1] == 2 else None,
                            title=f"{self.cfg.name} step {self.step}")
        return path

    def run_eval(self) -> dict[str, float]:
        if not self.exp.spec.metrics and not self.exp.objective.has_encoder:
            return {}
        with torch.random.fork_rng(devices=[]):
            self.last_eval = evaluate(self.exp.generate(self.eval_z), self.dataset,
                                      self.exp.objective.requested_classes(self.eval_z))
            if self.exp.objective.has_encoder:
                self.last_eval.update({f"encoder/{k}": v for k, v in encoder_metrics(self.exp, self.dataset).items()})
        self.log.write({"step": self.step, **self.last_eval})
        return self.last_eval

    def save(self) -> Path:
        tensors, meta = self.exp.state()
        tensors["rng.cpu"] = torch.get_rng_state()
        if self.exp.device.type == "cuda":
            tensors["rng.cuda"] = torch.cuda.get_rng_state(self.exp.device)
        tensors.update({f"data.{k}": v for k, v in self.batches.state_dict().items()})
        path = checkpoint_path(self.run_dir, self.step)
        save_checkpoint(path, tensors, {**meta, "step": self.step, "phase_steps": self.phase_steps})
        prune_checkpoints(self.run_dir, self.cfg.log.keep_checkpoints)
        return path

    def resume(self) -> Path:
        """Restores weights, optimizers, EMA, RNG, data position and step from the run's newest checkpoint."""
        path = find_checkpoint(self.run_dir)
        tensors, meta = load_checkpoint(path)
        self.exp.load_state(tensors, meta, path)
        torch.set_rng_state(tensors["rng.cpu"])
        if "rng.cuda" in tensors and self.exp.device.type == "cuda":
            torch.cuda.set_rng_state(tensors["rng.cuda"], self.exp.device)
        self.batches.load_state_dict({k[5:]: v for k, v in tensors.items() if k.startswith("data.")})
        self.step = int(meta["step"])
        self.phase_steps.update(meta.get("phase_steps", {}))
        self.log.truncate_after(self.step)
        return path

    # --- the loop -----------------------------------------------------------------------------

    def periodic(self, every: int) -> bool:
        return every > 0 and self.step % every == 0

    def after_iteration(self, bar: tqdm) -> None:
        log = self.cfg.log
        if self.periodic(log.log_every):
            bar.set_postfix(self.postfix(self.write_losses()), refresh=False)
        if self.periodic(log.sample_every):
            self.write_samples()
        if self.periodic(log.eval_every):
            self.run_eval()
        if self.periodic(log.checkpoint_every):
            self.save()

    def postfix(self, record: dict[str, float]) -> dict[str, str]:
        shown = {k.split("/")[-1] if k.endswith("/total") else k: v for k, v in record.items()
                 if k.endswith("_loss")}
        for metric in self.exp.spec.metrics:
            for key in HEADLINE.get(metric, ()):
                if f"{metric}/{key}" in self.last_eval:
                    shown[key] = self.last_eval[f"{metric}/{key}"]
        return {k: f"{v:.3g}" for k, v in shown.items()}

    def fit(self) -> dict:
        """Trains to cfg.train.steps; returns a summary (final step, sample path, checkpoint, metrics)."""
        total = self.cfg.train.steps
        with self.sigint_saves(), tqdm(total=total, initial=self.step, desc=self.cfg.name or "train",
                                       disable=not self.cfg.log.progress, dynamic_ncols=True,
                                       mininterval=0.5) as bar:
            while self.step < total and not self.interrupted:
                self.train_iteration()
                bar.update(1)
                self.after_iteration(bar)
        return self.finish()

    def train_iteration(self) -> None:
        """One iteration: every phase as often as the schedule says; then the step count moves on."""
        for phase, repeats in self.schedule.plan(self.phases):
            for _ in range(repeats):
                self.run_phase(phase)
        self.step += 1

    def finish(self) -> dict:
        """Final samples, metrics and checkpoint (unless this very step already wrote them)."""
        if self._counts:
            self.write_losses()
        done = list_checkpoints(self.run_dir)
        ckpt = done[-1] if done and done[-1] == checkpoint_path(self.run_dir, self.step) else self.save()
        samples = self.run_dir / "samples" / f"step-{self.step:07d}.png"
        if not samples.exists():
            samples = self.write_samples()
        metrics = self.last_eval if self.periodic(self.cfg.log.eval_every) else self.run_eval()
        return {"step": self.step, "interrupted": self.interrupted, "checkpoint": ckpt,
                "samples": samples, "metrics": metrics}

    @contextlib.contextmanager
    def sigint_saves(self):
        """The first Ctrl-C ends the run after the current iteration (then a checkpoint is written);
        a second one aborts at once."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def on_sigint(signum, frame):
            if self.interrupted:
                raise KeyboardInterrupt
            self.interrupted = True
            tqdm.write("interrupted: finishing this iteration and saving a checkpoint (Ctrl-C again to abort)")

        previous = signal.signal(signal.SIGINT, on_sigint)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)


def require_resumable(run_dir: Path) -> None:
    if not list_checkpoints(run_dir):
        raise CheckpointError(f"{run_dir}: nothing to resume, no checkpoint in {Path(run_dir) / 'checkpoints'}")
