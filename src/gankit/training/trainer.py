"""The one training loop. It runs the objective's phases as the schedule says, and is the only place
that calls backward() and step(); it never branches on the algorithm."""
from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from pathlib import Path

import torch
from tqdm import tqdm

from ..data import Dataset
from ..evaluation import evaluated_at, evaluation_record, plan_evaluation
from ..objectives import Batch, Phase
from ..rundir import prepare_run_dir
from ..viz import Painter
from . import distributed
from .accumulation import MicroLosses, micro_batches
from .checkpoint import checkpoint_path, list_checkpoints, remove_leftovers
from .compiled import PhaseCompiler
from .divergence import DivergenceDetector, Diverged, NonFinite, phase_health
from .faults import attempt, handle_divergence, snapshot
from .experiment import Experiment
from .layout import batch_layout
from .lock import RunLock
from .logging import LossMeter, MetricsLog
from .outputs import EVAL_SEED_OFFSET, MEASURE_SEED_OFFSET, SAMPLE_SEED_OFFSET, RunOutputs
from .precision import Precision
from .state import CheckpointState


class Trainer(RunOutputs, CheckpointState):
    """Runs the phases; what a run writes (losses, samples, metrics) and its checkpoint state come from the
    two mixins, each in a module of its own."""

    def __init__(self, exp: Experiment, dataset: Dataset, run_dir: Path):
        self.exp, self.dataset, self.run_dir = exp, dataset, Path(run_dir)
        self.cfg = exp.cfg
        self.schedule, self.phases = exp.schedule, exp.phases  # built with the experiment, once
        self.batches = dataset.batches(self.cfg.data.batch_size)
        self.log = MetricsLog(self.run_dir / "metrics.jsonl")
        self.lock = RunLock(self.run_dir)
        self.watch = DivergenceDetector(self.cfg.train.divergence_factor)
        self.rollbacks = 0
        self.saved_train_steps = self.cfg.train.steps  # train.steps of the checkpoint resumed from
        self.skipped: list[str] = []  # why newer checkpoints did not load at resume
        self.initial_state = None  # the state to roll back to before any checkpoint exists
        self.resumed_from: Path | None = None  # the checkpoint resume() loaded
        self.seconds_before: float | None = 0.0  # training time of the sessions before this one (trained_seconds)
        self.session_start: tuple[int, float] | None = None  # (step, clock) where this fit() began
        self.step = 0
        self.phase_steps = {phase.name: 0 for phase in self.phases}  # runs of each phase so far
        self.interrupted = False
        self.last_eval: dict[str, float] = {}
        self.last_losses: dict[str, float] = {}
        self.precision = Precision(self.cfg.train.precision, exp.device)
        self.compiler = PhaseCompiler(self.cfg.train.compile, exp.objective, exp.device, self.note)
        self.grad_phase: str | None = None  # the phase whose networks have requires_grad on now
        self.painter = Painter()  # 2-D plots are drawn off the training thread
        self.loss_meter = LossMeter()  # losses since the last loss line
        self.eval_plan = plan_evaluation(exp, exp.spec)
        self._parameters: dict[str, dict[str, list[torch.nn.Parameter]]] = {}
        self._updated: dict[str, list[torch.nn.Parameter]] = {}  # the same, flattened, for backward(inputs=...)
        seed = self.cfg.seed
        n_fixed = self.cfg.log.num_samples if exp.spec.is_image else self.cfg.log.eval_samples
        self.fixed_z = exp.objective.sample_z(n_fixed, torch.Generator().manual_seed(seed + SAMPLE_SEED_OFFSET))
        self.eval_z = exp.objective.sample_z(self.cfg.log.eval_samples,
                                             torch.Generator().manual_seed(seed + EVAL_SEED_OFFSET))
        measure = torch.Generator().manual_seed(seed + MEASURE_SEED_OFFSET)  # a side stream: training's RNG untouched
        exp.objective.measure_data(lambda n: dataset.sample(n, measure).to(exp.device))

    # --- one iteration ------------------------------------------------------------------------

    def run_phase(self, phase: Phase) -> None:
        nets = self.exp.objective.nets
        batch = self.next_batch(phase)
        # only the phase's networks need gradients; the others are constants in this phase (toggled on a change)
        if self.grad_phase != phase.name:
            for name, net in nets.items():
                net.requires_grad_(name in phase.networks)
            self.grad_phase = phase.name
        losses = self.compiler.run(phase.name, lambda: self.forward_backward(phase, batch))
        distributed.all_reduce_gradients(nets[name] for name in phase.networks)
        self.watch_health(phase, losses)
        # step, then re-impose each network's constraints (e.g. weight clipping)
        for name in phase.networks:
            self.exp.updates[name].step(self.precision)  # transforms, clipping, lr schedule, optimizer step
            for constraint in self.exp.constraints[name]:
                constraint(nets[name])
            if name in self.exp.ema:
                self.exp.ema[name].update(nets[name])
        self.precision.update()
        self.phase_steps[phase.name] += 1
        self.accumulate(phase, losses)
        if self.exp.ada is not None:  # adaptive augmentation: the critic phases' E[sign(D(x_real))]
            self.exp.ada.observe(losses, batch)

    def forward_backward(self, phase: Phase, batch: Batch) -> dict[str, torch.Tensor]:
        """The phase's losses and gradients (zeroed first), over train.accumulate micro-batches: each micro-loss
        scaled by 1/k, so the gradients add up to the whole batch's; returns the losses (micro-batch means)."""
        for p in self.updated_parameters(phase):  # zero_grad(set_to_none=True), without its profiler scope
            p.grad = None
        k = self.cfg.train.accumulate
        counter = sum(self.phase_steps.values()) * k  # randomness under torchrun: one seed per micro-batch
        means = MicroLosses(k) if k > 1 else None  # the default k = 1 adds no work to the step
        for i, part in enumerate(micro_batches(batch, k)):
            with self.precision.autocast(), distributed.rank_rng(self.cfg.seed, counter + i, self.exp.device):
                losses = phase.loss(part)
            self.check_finite(phase, losses)
            total = losses["total"] / k if k > 1 else losses["total"]
            self.precision.backward(total, self.updated_parameters(phase))
            if means is not None:
                means.add(losses)
        return means.means() if means is not None else losses

    def next_batch(self, phase: Phase) -> Batch:
        """This process's share of the next global batch: real data from the stream (left where it is for a
        phase that never looks at it) and noise z."""
        device = self.exp.device
        x, y = self.batches.next() if phase.uses_real else (None, None)
        n = len(x) if x is not None else getattr(self.batches, "batch_size", self.cfg.data.batch_size)
        z = distributed.shard(self.exp.objective.sample_z(n, device=device))
        x, y = distributed.shard(x), distributed.shard(y)
        x = None if x is None else batch_layout(x.to(device), self.cfg.train.channels_last)
        return Batch(x, None if y is None else y.to(device), z,
                     self.phase_steps[phase.name])

    def check_finite(self, phase: Phase, losses: dict[str, torch.Tensor]) -> None:
        """A NaN or inf loss (on any process) is a divergence, before its backward touches the weights; the
        report names the term, its value and, under torchrun, the first process where it happened."""
        finite = math.isfinite(losses["total"].item())  # a read, where isfinite would add a kernel to it
        if distributed.all_ranks(finite):
            return
        mine = None
        if not finite:
            bad = next((k for k, v in losses.items() if k != "total" and not torch.isfinite(v)), "total")
            mine = (f"loss {bad} of phase {phase.name}", float(losses[bad].detach()))
        rank, (quantity, value) = distributed.first_report(mine)
        raise NonFinite(quantity, self.step + 1, value, rank)

    # --- the loop -----------------------------------------------------------------------------

    def periodic(self, every: int) -> bool:
        return every > 0 and self.step % every == 0

    def after_iteration(self, bar: tqdm) -> None:
        log, main = self.cfg.log, distributed.is_main()
        logged, evaluated = self.periodic(log.log_every), main and self.periodic(log.eval_every)
        if logged:
            self.write_losses()
        if self.periodic(log.checkpoint_every):  # first: what follows may fail
            self.save()
        if main and self.periodic(log.sample_every):
            attempt("sampling", self.step, self.log, self.write_samples)
        if evaluated:
            attempt("evaluation", self.step, self.log, self.run_eval)
        if logged or evaluated:  # after the evaluation, so the bar shows the latest one
            bar.set_postfix(self.postfix(self.last_losses), refresh=False)

    def fit(self) -> dict:
        """Trains to cfg.train.steps; returns a summary (final step, sample path, checkpoint, metrics)."""
        total, main = self.cfg.train.steps, distributed.is_main()
        self.session_start = (self.step, time.perf_counter())  # finish() logs the session's length
        if main:
            self.run_dir.mkdir(parents=True, exist_ok=True)  # a Trainer may be given a folder not made yet
            self.lock.acquire()
        try:
            if main:
                self.open_run_dir()
                remove_leftovers(self.run_dir)
                self.complete_interrupted()
                for line in self.precision.notes():
                    self.note(line)
            if self.cfg.train.on_divergence == "rollback" and not list_checkpoints(self.run_dir):
                self.initial_state = snapshot(self)
            with self.sigint_saves(), tqdm(total=total, initial=self.step, desc=self.cfg.name or "train",
                                           disable=not (self.cfg.log.progress and main), dynamic_ncols=True,
                                           mininterval=0.5) as bar:
                while self.step < total and not self.interrupted:
                    if self.guarded_iteration():
                        self.after_iteration(bar)
                    bar.update(self.step - bar.n)  # a rollback moves the step back
                    self.interrupted = not distributed.all_ranks(not self.interrupted)  # all stop at one step
            return self.finish()
        finally:
            if main:
                self.lock.release()

    def guarded_iteration(self) -> bool:
        """train_iteration(), with a divergence stopping the run or rolling it back as the config says;
        False after a rollback."""
        try:
            self.train_iteration()
            return True
        except Diverged as err:
            handle_divergence(self, err)  # raises (stop) or restores the last good state (rollback)
            return False

    def watch_health(self, phase: Phase, losses: dict[str, torch.Tensor]) -> None:
        """The divergence detector on this phase's loss and its networks' gradient and weight norms; under
        torchrun every process takes the same decision (losses differ between processes), reported with the
        first process where a quantity exploded."""
        failure = None
        try:
            if self.watch.factor:  # factor 0: no detector, nothing to read
                self.watch.observe(phase_health(phase.name, losses, self.parameters_of(phase)), self.step + 1)
        except Diverged as err:
            failure = err
        if distributed.all_ranks(failure is None):
            return
        mine = None if failure is None else (failure.quantity, failure.value, failure.level)
        rank, (quantity, value, level) = distributed.first_report(mine)
        raise Diverged(quantity, self.step + 1, value, level, self.watch.factor, rank)

    def parameters_of(self, phase: Phase) -> dict[str, list[torch.nn.Parameter]]:
        """The parameters of each network a phase updates (listed once: walking the modules every phase costs).
        They stay the live ones because every load (resume, rollback, load_extra_state) copies in place."""
        if phase.name not in self._parameters:
            nets = self.exp.objective.nets
            self._parameters[phase.name] = {n: list(nets[n].parameters()) for n in phase.networks}
        return self._parameters[phase.name]

    def updated_parameters(self, phase: Phase) -> list[torch.nn.Parameter]:
        """The parameters a phase's backward is for. Naming them spares autograd every other leaf: a gradient
        penalty's points require grad, and their gradient (a first-layer double backward) was computed and
        thrown away; the WGAN-GP critic step on the digits DCGAN is about 15 % faster without it. Flattened once
        per phase, as parameters_of lists them once."""
        if phase.name not in self._updated:
            self._updated[phase.name] = [p for params in self.parameters_of(phase).values() for p in params]
        return self._updated[phase.name]

    def open_run_dir(self) -> None:
        """The run directory's folders and config.yaml (where missing: a Trainer may be given any path), and
        the TensorBoard sink when log.tensorboard."""
        prepare_run_dir(self.run_dir, self.cfg)
        if self.cfg.log.tensorboard and not self.log.sinks:
            from .tensorboard import TensorBoardSink

            self.log.sinks.append(TensorBoardSink(self.run_dir / "tensorboard", self.step))

    def train_iteration(self) -> None:
        """One iteration: every phase as often as the schedule says; then the step count moves on."""
        for phase, repeats in self.schedule.plan(self.phases):
            for _ in range(repeats):
                self.run_phase(phase)
        self.step += 1
        if self.exp.ada is not None:
            self.exp.ada.adjust(self.step, distributed.world_size(), distributed.mean_across_ranks)
            for name, value in self.exp.ada.scalars().items():
                self.loss_meter.add(name, value)

    def finish(self) -> dict:
        """Final samples, metrics and checkpoint (unless this very step already wrote them)."""
        if self.loss_meter:
            self.write_losses()
        if not distributed.is_main():
            distributed.barrier()  # rank 0 writes the last checkpoint, samples and metrics meanwhile
            return {"step": self.step, "interrupted": self.interrupted, "checkpoint": checkpoint_path(self.run_dir, self.step),
                    "samples": None, "metrics": {}}
        self.painter.wait()
        done = list_checkpoints(self.run_dir)
        ckpt = done[-1] if done and done[-1] == checkpoint_path(self.run_dir, self.step) else self.save()
        samples = self.run_dir / "samples" / f"step-{self.step:07d}.png"
        if not samples.exists():
            samples = attempt("sampling", self.step, self.log, self.write_samples)
        self.log_session()
        records = self.log.read()
        if self.periodic(self.cfg.log.eval_every) or evaluated_at(records, self.step):
            metrics = self.last_eval or evaluation_record(records, self.step)
        else:
            metrics = attempt("evaluation", self.step, self.log, self.run_eval) or {}
        self.painter.wait()
        self.log.close()
        distributed.barrier()
        return {"step": self.step, "interrupted": self.interrupted, "checkpoint": ckpt,
                "samples": samples, "metrics": metrics}

    def log_session(self) -> None:
        """The steps this fit() trained and its wall time to here, as a session event: a run resumed N times has
        N + 1 of them (the checkpoints carry the running total, trained_seconds)."""
        if self.step != self.session_start[0]:
            self.log.write({"step": self.step, "event": "session", "from_step": self.session_start[0],
                            "seconds": self.session_seconds()})

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

