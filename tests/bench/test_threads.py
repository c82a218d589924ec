"""The workload `gankit bench threads` times: the default preset, or a conv recipe on 32x32 RGB by name; a
thread count set for a timing stays, and a run's train.threads is honoured."""
import torch

from gankit.bench.threads import threads_trainer

from ..conftest import TINY_TOY, tiny
from ..training.test_layout import rgb_folder
from ..training.test_trainer import make_trainer


def test_threads_bench_takes_a_conv_recipe_on_rgb_images_and_leaves_the_thread_count(tmp_path):
    data = rgb_folder(tmp_path)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        trainer = threads_trainer(tmp_path, "sngan", (f"data.name={data}", "model.G.options.width=16",
                                                      "model.D.options.width=16", "data.batch_size=8"))
        assert torch.get_num_threads() == 2 and trainer.cfg.train.threads == 0
        assert tuple(trainer.exp.spec.shape) == (3, 32, 32)
        assert any(p.dim() == 4 for p in trainer.exp.objective.nets["D"].parameters())  # convolutions
        trainer.train_iteration()
        assert trainer.step == 1
    finally:
        torch.set_num_threads(before)


def test_a_runs_train_threads_is_honoured(tmp_path):
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        make_trainer(tiny(TINY_TOY, tmp_path, "train.threads=2"), tmp_path / "run")
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
