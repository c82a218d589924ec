"""`gankit bench speed`: gankit's training iteration against a plain hand-written PyTorch loop with the same
networks, batch, data stream and objective, timed interleaved in one process (ratios, not seconds): on the
T2 networks with EMA off, and on shipped presets as users run them (EMA, periodic samples, evaluations and
checkpoints, amortized over their intervals)."""
from __future__ import annotations

import contextlib
import copy
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from ..api import trainer_for
from ..config import build_config, deep_merge
from ..errors import ConfigError
from ..presets import load_preset
from .tasks import T2_BASE, T2_OBJECTIVES

# D-step variants on the digits DCGAN critic, each timed against the plain WGAN critic step
CRITIC_VARIANTS = {
    "spectral norm": ["constraints=[{name: spectral-norm, network: D}]"],
    **{f"penalty {name}": [f"penalties=[{{name: {name}, weight: 1.0}}]"]
       for name in ("gp", "gp-onesided", "r1", "r2", "zero-centred", "dragan", "wgan-div", "sn-reg")},
    "penalty r1, lazy every 16": ["penalties=[{name: r1, weight: 1.0, every: 16}]"],
}


class PlainLoop:
    """The loop a user would write by hand on copies of the networks: n_critic D steps then one G step,
    a fresh batch each, the same losses written inline (d_loss), under the same autocast and memory layout."""

    def __init__(self, G, D, opt_g, opt_d, batches, z_dim: int, n_critic: int, loss: str | None = "ns",
                 autocast=contextlib.nullcontext, channels_last: bool = False):
        self.G, self.D, self.opt_g, self.opt_d, self.batches = G, D, opt_g, opt_d, batches
        self.z_dim, self.n_critic, self.loss, self.autocast = z_dim, n_critic, loss, autocast
        self.layout = torch.channels_last if channels_last else torch.contiguous_format

    def gradient_penalty(self, x_real: torch.Tensor, x_fake: torch.Tensor) -> torch.Tensor:
        """Gulrajani et al.'s penalty as the authors and most users write it."""
        eps = torch.rand(len(x_real), *([1] * (x_real.dim() - 1)))
        x_hat = (eps * x_real + (1.0 - eps) * x_fake).requires_grad_(True)
        (grad,) = torch.autograd.grad(self.D(x_hat).sum(), x_hat, create_graph=True)
        return ((grad.flatten(1).norm(dim=1) - 1.0) ** 2).mean()

    def d_loss(self, x_real: torch.Tensor, x_fake: torch.Tensor) -> torch.Tensor:
        real, fake = self.D(x_real), self.D(x_fake)
        if self.loss == "wgan-gp":
            return (fake - real).mean() + 10.0 * self.gradient_penalty(x_real, x_fake)
        if self.loss == "hinge":
            return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()
        return (F.softplus(-real) + F.softplus(fake)).mean()

    def __call__(self) -> None:
        if self.loss is None:
            raise ConfigError("bench speed: no plain loop is written for this objective and its penalties; the plain "
                              "loops are WGAN-GP, hinge and non-saturating")
        G = self.G
        for _ in range(self.n_critic):
            x_real = self.batches.next()[0]
            x_real = x_real.contiguous(memory_format=self.layout) if x_real.dim() == 4 else x_real
            with self.autocast():
                with torch.no_grad():
                    x_fake = G(torch.randn(len(x_real), self.z_dim))
                loss = self.d_loss(x_real, x_fake)
            self.opt_d.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_d.step()
        with self.autocast():
            fake = self.D(G(torch.randn(self.batches.batch_size, self.z_dim)))  # no real batch for G
            loss = F.softplus(-fake).mean() if self.loss == "ns" else -fake.mean()  # WGAN's and hinge's G loss
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()


def bench_trainer(cfg, run_dir: Path):
    """A trainer of cfg on the thread count the benchmark runs with (a config's train.threads would reset it)."""
    cfg.train.threads = torch.get_num_threads()
    return trainer_for(cfg, run_dir)


def make_pair(objective: str, workdir: Path, *overrides: str) -> tuple:
    """A gankit trainer (EMA off, as the plain loop has none) and the plain loop on copies of its networks."""
    cfg = build_config(deep_merge(T2_BASE, T2_OBJECTIVES[objective]),
                       overrides=["train.ema_decay=0", "log.progress=false", f"out_dir={workdir}", *overrides])
    return pair_for(cfg, workdir / objective)


def pair_for(cfg, run_dir: Path) -> tuple:
    """A gankit trainer of cfg and the plain loop on copies of its networks, with the optimizers a user
    writes (the same class and hyperparameters, PyTorch's default implementation)."""
    trainer = bench_trainer(cfg, run_dir)
    exp, dataset = trainer.exp, trainer.dataset
    G, D = (copy.deepcopy(exp.objective.nets[name]) for name in gan_networks(exp.objective))
    plain_options = lambda opt: {k: v for k, v in opt.defaults.items() if k not in ("fused", "foreach")}  # noqa: E731
    opt_g, opt_d = (type(exp.optimizers[name])(net.parameters(), **plain_options(exp.optimizers[name]))
                    for name, net in zip(gan_networks(exp.objective), (G, D)))
    plain = PlainLoop(G, D, opt_g, opt_d, dataset.batches(cfg.data.batch_size), cfg.model.z_dim,
                      cfg.train.n_critic, plain_loss(cfg), trainer.precision.autocast, cfg.train.channels_last)
    return trainer, plain


# (objective, its config's penalties) -> the loss the plain loop writes for it
PLAIN_LOSSES = {("wgan-gp", ()): "wgan-gp", ("wgan", ("gp",)): "wgan-gp", ("hinge", ()): "hinge", ("ns", ()): "ns"}


def plain_loss(cfg) -> str | None:
    """The loss the plain loop writes for cfg: WGAN-GP where the gradient penalty runs, hinge, non-saturating;
    None for any other (such a plain loop refuses to run rather than be timed against another update)."""
    return PLAIN_LOSSES.get((cfg.objective.name, tuple(p.name for p in cfg.penalties)))


def gan_networks(objective) -> tuple[str, str]:
    """(generator, critic) names of a GAN objective: what its generator phase updates, and its declared critic."""
    generator = next(p for p in objective.phases() if p.role == "generator").networks[0]
    return generator, objective.capabilities.critic


def as_users_run_it(trainer):
    """One gankit iteration with the preset's EMA and its periodic work at its intervals (the loop's
    after_iteration: loss lines, sample pictures, evaluations, checkpoints)."""
    from tqdm import tqdm

    bar = tqdm(disable=True)

    def iteration():
        trainer.train_iteration()
        trainer.after_iteration(bar)

    return iteration


def periodic_cost(trainer) -> float:
    """Seconds per iteration that samples, evaluations and checkpoints add, amortized over their intervals
    (each timed once; a window of a few dozen iterations rarely meets one)."""
    log = trainer.cfg.log
    cost = 0.0
    for every, work in ((log.sample_every, trainer.write_samples), (log.eval_every, trainer.run_eval),
                        (log.checkpoint_every, trainer.save)):
        if every > 0:
            start = time.perf_counter()
            work()
            trainer.painter.wait()
            cost += (time.perf_counter() - start) / every
    return cost


def preset_ratio(preset: str, workdir: Path, repeats: int, iterations: int) -> tuple[float, float]:
    """(gankit / plain per iteration, the same with the periodic work amortized in): the shipped preset, EMA
    on, against the plain loop on its networks."""
    cfg = build_config(load_preset(preset), overrides=["log.progress=false", f"out_dir={workdir}"])
    trainer, plain = pair_for(cfg, workdir / preset)
    trainer.open_run_dir()
    periodic = periodic_cost(trainer)
    trainer.cfg.log.sample_every = trainer.cfg.log.eval_every = trainer.cfg.log.checkpoint_every = 10**9  # counted above
    ratio, plain_seconds = interleaved_ratio(as_users_run_it(trainer), plain, repeats, iterations, with_time=True)
    return ratio, ratio + periodic / plain_seconds


def timed(fn, iterations: int) -> float:
    start = time.perf_counter()
    for _ in range(iterations):
        fn()
    return time.perf_counter() - start


def interleaved_ratio(a, b, repeats: int, iterations: int, with_time: bool = False):
    """Median over repeats of time(a) / time(b), alternating which runs first (and, with_time, the median
    seconds of one b iteration)."""
    timed(a, iterations), timed(b, iterations)  # warm-up
    ratios, seconds = [], []
    for r in range(repeats):
        if r % 2:
            tb, ta = timed(b, iterations), timed(a, iterations)
        else:
            ta, tb = timed(a, iterations), timed(b, iterations)
        ratios.append(ta / tb)
        seconds.append(tb / iterations)
    return (statistics.median(ratios), statistics.median(seconds)) if with_time else statistics.median(ratios)


def critic_trainer(workdir: Path, name: str, *overrides: str):
    """A trainer of the digits DCGAN networks (the default preset's) under the WGAN loss, with the given
    constraint or penalty."""
    cfg = build_config(load_preset("digits-wgan-gp"), overrides=[
        "objective.name=wgan", "objective.options={}", "train.ema_decay=0", "log.progress=false",
        f"out_dir={workdir}", *overrides])
    return bench_trainer(cfg, workdir / name)


def critic_step(trainer):
    """One D step, as gankit runs it."""
    phase = next(p for p in trainer.phases if p.role == "critic")
    return lambda: trainer.run_phase(phase)


def critic_overheads(workdir: Path, repeats: int, iterations: int) -> dict[str, float]:
    plain = critic_step(critic_trainer(workdir, "plain"))
    return {f"D step, {name} / plain": interleaved_ratio(critic_step(critic_trainer(workdir, name, *overrides)), plain,
                                                         repeats, iterations)
            for name, overrides in CRITIC_VARIANTS.items()}


def schedule_trainer(workdir: Path, schedule: str, *overrides: str):
    """The digits-single-loss preset's networks and losses (DCGAN, non-saturating + R1, D without BatchNorm),
    EMA off, under the given schedule (alternating: 1:1, the schedule the single loss is equivalent to)."""
    cfg = build_config(load_preset("digits-single-loss"), overrides=[
        f"train.schedule={schedule}", "train.ema_decay=0", "log.progress=false", f"out_dir={workdir}", *overrides])
    return bench_trainer(cfg, workdir / schedule)


def single_loss_ratio(workdir: Path, repeats: int, iterations: int) -> dict[str, float]:
    """Time per iteration of the simultaneous schedule (one loss, one backward) over alternating 1:1, with the
    preset's R1 penalty (the same double backward in both) and without it."""
    out = {}
    for label, overrides in (("", ()), (", no penalty", ("penalties=[]",))):
        simultaneous = schedule_trainer(workdir, "simultaneous", *overrides)
        alternating = schedule_trainer(workdir, "alternating", *overrides)
        out[f"digits-single-loss{label}: simultaneous / alternating 1:1"] = interleaved_ratio(
            simultaneous.train_iteration, alternating.train_iteration, repeats, iterations)
    return out


def preset_trainer(preset: str, workdir: Path, *overrides: str):
    cfg = build_config(load_preset(preset), overrides=["log.progress=false", f"out_dir={workdir}", *overrides])
    return bench_trainer(cfg, workdir / "-".join([preset, *overrides]))


def precision_ratio(workdir: Path, repeats: int, iterations: int) -> dict[str, float]:
    """Time per digits-wgan-gp iteration (penalty included) in bf16 autocast over fp32."""
    bf16 = preset_trainer("digits-wgan-gp", workdir, "train.precision=bf16")
    fp32 = preset_trainer("digits-wgan-gp", workdir, "train.precision=fp32")
    return {"digits-wgan-gp: bf16 / fp32 per iteration": interleaved_ratio(
        bf16.train_iteration, fp32.train_iteration, repeats, iterations)}


SPEED_PRESETS = ("ring8-wgan-gp", "digits-wgan-gp", "emoji-dcgan")  # emoji-dcgan: channels-last, bf16 where native


def run_speed(repeats: int = 15, iterations: int = 20, threads: int = 1,
              presets: tuple[str, ...] = SPEED_PRESETS, components: bool = True) -> dict[str, float]:
    """The presets as shipped against the plain loop, then (components) T2's pairs, the penalty's and each
    critic variant's overhead, the single-loss schedule and bf16 against fp32."""
    torch.set_num_threads(threads)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for preset in presets:
            loop_only, with_periodic = preset_ratio(preset, Path(tmp), repeats, iterations)
            out[f"{preset} as shipped (EMA on): gankit / plain loop"] = loop_only
            out[f"{preset} as shipped, samples + eval + checkpoints amortized: gankit / plain loop"] = with_periodic
        if components:
            out.update(component_ratios(Path(tmp), repeats, iterations))
    return out


def component_ratios(tmp: Path, repeats: int, iterations: int) -> dict[str, float]:
    """T2's gankit / plain pairs and the overheads of the pieces gankit adds or offers."""
    out = {}
    for objective in ("ns", "wgan-gp"):
        trainer, plain = make_pair(objective, tmp)
        out[f"{objective}: gankit / plain loop"] = interleaved_ratio(trainer.train_iteration, plain,
                                                                     repeats, iterations)
    with_gp, _ = make_pair("wgan-gp", tmp)
    without_gp, _ = make_pair("wgan-gp", tmp, "objective.name=wgan")  # same everything but the penalty
    out["wgan-gp: penalty overhead (gp / no penalty)"] = interleaved_ratio(
        with_gp.train_iteration, without_gp.train_iteration, repeats, iterations)
    out.update(critic_overheads(tmp, repeats, iterations))
    out.update(single_loss_ratio(tmp, repeats, iterations))
    out.update(precision_ratio(tmp, repeats, iterations))
    return out


def print_speed(results: dict[str, float]) -> None:
    width = max(len(k) for k in results) + 2
    print(f"{'ratio (median of interleaved repeats)':{width}s} value")
    for key, value in results.items():
        print(f"{key:{width}s} {value:.3f}x")
