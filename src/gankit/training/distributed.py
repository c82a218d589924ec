"""Data-parallel training under torchrun (torch.distributed: gloo on CPU, NCCL on CUDA).

Every rank runs the same global data and noise stream (same seed, same RNG state) and keeps its own
slice of each batch, so the stream's position and the RNG state in a checkpoint hold for every rank and
exact resume needs nothing per rank. After a phase's backward the gradients of the networks that phase
updates, and only those, are averaged across ranks (one flat all-reduce); then every rank steps the same
optimizer on the same gradient and the weights stay equal. Rank 0 alone writes the run directory.

Why not DistributedDataParallel wrappers: a GAN runs each network in several phases (D is a constant in
G's phase), gradient penalties differentiate through D twice (torch.autograd.grad with create_graph,
which DDP's reducer does not support), and a phase knows exactly which networks it updates, so an
explicit all-reduce of those gradients after backward is simpler and correct by construction.
"""
from __future__ import annotations

import atexit
import os
from contextlib import contextmanager, nullcontext
from pathlib import Path

import torch
import torch.distributed as dist

from ..errors import ConfigError


def world_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def is_main() -> bool:
    """The process that writes logs, samples and checkpoints (the only one without torchrun)."""
    return rank() == 0


def collective_device() -> torch.device:
    """Where small tensors for a collective live: NCCL reduces CUDA tensors only."""
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def launched() -> bool:
    """True under torchrun with more than one process."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def setup(cfg) -> None:
    """Joins the torchrun process group when launched with several processes (once per process): NCCL
    for CUDA, gloo for CPU; each rank takes the GPU of its LOCAL_RANK. Checks the batch divides evenly."""
    if not launched():
        return
    cuda = cfg.train.device.startswith("cuda")
    if cuda:
        local = int(os.environ.get("LOCAL_RANK", "0"))
        cfg.train.device = f"cuda:{local}"
        torch.cuda.set_device(local)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo")
        atexit.register(dist.destroy_process_group)  # PyTorch warns about a group left to the interpreter's exit
    if cfg.data.batch_size % (world_size() * cfg.train.accumulate):
        raise ConfigError(f"config field data.batch_size: {cfg.data.batch_size} is the global batch and must divide "
                          f"by the {world_size()} processes times train.accumulate {cfg.train.accumulate}")
    if cfg.train.sync_batchnorm and not cuda:
        raise ConfigError("config field train.sync_batchnorm: PyTorch's SyncBatchNorm runs on CUDA only; "
                          "set train.device=cuda or drop it")


def prepare_networks(exp) -> None:
    """SyncBatchNorm in place of BatchNorm when train.sync_batchnorm, and every rank starting from rank 0's
    weights (they agree already when seeded alike; the broadcast makes it a guarantee)."""
    if world_size() == 1:
        return
    if exp.objective.extra_state():
        raise ConfigError(f"objective {exp.cfg.objective.name!r} keeps state of its own between steps (a replay "
                          "buffer, codebook statistics) that each process would fill from its own shard, and gankit "
                          "does not gather it yet: train it in one process")
    if exp.cfg.train.sync_batchnorm:  # the same Parameter objects move over, so the optimizers stay valid
        for name in list(exp.objective.nets):
            exp.objective.nets[name] = torch.nn.SyncBatchNorm.convert_sync_batchnorm(exp.objective.nets[name])
    for tensor in exp.objective.nets.state_dict().values():
        dist.broadcast(tensor, src=0)


def shared_run_dir(cfg, run_dir: str | Path | None) -> Path:
    """The run directory: the one given, or a new one made by rank 0 and told to the other ranks."""
    from ..rundir import make_run_dir

    if run_dir is not None:
        return Path(run_dir)
    if world_size() == 1:
        return make_run_dir(cfg)
    box = [str(make_run_dir(cfg)) if is_main() else None]
    dist.broadcast_object_list(box, src=0)
    return Path(box[0])


def shard(x: torch.Tensor | None) -> torch.Tensor | None:
    """This rank's contiguous slice of a global batch (all of it in one process)."""
    n = world_size()
    if x is None or n == 1:
        return x
    size = len(x) // n
    return x[rank() * size : (rank() + 1) * size]


def rank_rng(seed: int, counter: int, device: torch.device):
    """A context in which randomness inside a phase's loss (interpolation points, dropout) differs between
    ranks, as it would between the slices of one big batch: it runs on a seed made of the run's seed, a count
    of the phases run so far and the rank, and the shared stream stays untouched (so it stays in step across
    ranks, and with a one-process run). Nothing at all in one process."""
    if world_size() == 1:
        return nullcontext()
    return seeded((seed * 1_000_003 + counter) * 4096 + rank(), device)


@contextmanager
def seeded(seed: int, device: torch.device):
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        yield


def all_reduce_gradients(modules) -> None:
    """Averages the gradients of these modules' parameters across ranks, in one flat all-reduce."""
    if world_size() == 1:
        return
    grads = [p.grad for m in modules for p in m.parameters() if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= world_size()
    offset = 0
    for g in grads:
        g.copy_(flat[offset : offset + g.numel()].view_as(g))
        offset += g.numel()


def mean_across_ranks(values: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Each scalar averaged over the ranks (logged losses); every rank must call it at the same step."""
    if world_size() == 1 or not values:
        return values
    device = collective_device()
    stacked = torch.stack([torch.as_tensor(v, dtype=torch.float64, device=device).reshape(()) for v in values.values()])
    dist.all_reduce(stacked)
    return dict(zip(values, (stacked / world_size()).cpu()))


def all_ranks(flag: bool) -> bool:
    """True when the flag holds on every rank; every rank must call it at the same point (so a NaN on one
    rank, or a Ctrl-C that reached one process, stops all of them at the same step, not in a hang)."""
    if world_size() == 1:
        return flag
    value = torch.tensor(float(flag), device=collective_device())
    dist.all_reduce(value, op=dist.ReduceOp.MIN)
    return bool(value)


def first_report(report):
    """(rank, report) of the lowest rank whose report is not None, or None; the rank is None in a run of one
    process, whose messages need not name it. Every rank must call it at the same point; it gathers Python
    objects, so it belongs on a failure path, not on every step."""
    if world_size() == 1:
        return None if report is None else (None, report)
    gathered = [None] * world_size()
    dist.all_gather_object(gathered, report)
    return next(((r, item) for r, item in enumerate(gathered) if item is not None), None)


def check_world_size(saved: int, source: Path) -> None:
    """Exact resume replays the same shards: another number of processes is refused."""
    if saved != world_size():
        launch = f"torchrun --nproc_per_node={saved} -m gankit train --resume ..." if saved > 1 else "gankit train --resume ... (one process)"
        raise ConfigError(f"{source}: the run was trained on {saved} process(es), this launch has {world_size()}; "
                          f"exact resume needs the same number: {launch}")


def barrier() -> None:
    if world_size() > 1:
        dist.barrier()
