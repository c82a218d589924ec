"""Run by tests/training/test_distributed.py in 2 processes: process 1's critic loss becomes NaN at the first step,
then its divergence watch sees an explosion. Both processes must stop each time, each saying which term or
quantity, where and on which process."""
import sys
from dataclasses import replace
from pathlib import Path

import yaml

from gankit.config import build_config
from gankit.data import load_dataset
from gankit.training.experiment import build_experiment
from gankit.training import distributed
from gankit.training.divergence import Diverged, NonFinite
from gankit.training.trainer import Trainer

config, out = sys.argv[1], Path(sys.argv[2])
cfg = build_config(yaml.safe_load(Path(config).read_text()))
distributed.setup(cfg)
dataset = load_dataset(cfg.data.name, cfg.data.resolution)
trainer = Trainer(build_experiment(cfg, dataset.spec), dataset, out / f"rank{distributed.rank()}")
critic = trainer.phases[0]


def poisoned(batch):
    losses = critic.loss(batch)
    if distributed.rank() == 1:
        losses["poison"] = losses["total"] * float("nan")
        losses["total"] = losses["total"] + losses["poison"]
    return losses


def exploded(health, step):
    raise Diverged("D/grad_norm", step, 1e9, 2.0, trainer.watch.factor)


try:
    trainer.run_phase(replace(critic, loss=poisoned))
except NonFinite as err:
    print(f"stopped: {err} | quantity={err.quantity} process={err.process}")
if distributed.rank() == 1:
    trainer.watch.observe = exploded
try:
    trainer.run_phase(critic)
except Diverged as err:
    print(f"stopped: {err} | quantity={err.quantity} process={err.process}")
distributed.barrier()  # both processes leave together: one tearing down gloo while the other still uses it aborts
