"""The speed options' comparison: every variant trains (its own trainer, its own overrides) and is timed; the
default variant is the ratios' reference. (No timing is asserted: the figures belong to the machine.)"""
import torch

from gankit.bench.options import DEFAULT, options_trainer, print_options, run_options


def test_each_variant_trains_with_its_own_overrides_and_gets_a_time(tmp_path, capsys):
    sets = ("train.n_critic=1", "data.batch_size=16")
    variants = {"foreach": ("optim.D.implementation=foreach",), "two threads": ("train.threads=2",)}
    before = torch.get_num_threads()
    results = run_options("ring8-ns", variants, sets, repeats=1, iterations=1)
    assert torch.get_num_threads() == before  # each timing's thread count is put back
    assert list(results) == [DEFAULT, "foreach", "two threads"]
    assert all(row["ms"] > 0 for row in results.values()) and results[DEFAULT]["ratio"] == 1.0
    print_options(results)
    assert "two threads" in capsys.readouterr().out


def test_a_variants_trainer_has_its_overrides_and_writes_nothing_at_intervals(tmp_path):
    trainer = options_trainer(tmp_path, "ring8-ns", ("train.channels_last=true", "data.batch_size=16"))
    assert trainer.cfg.train.channels_last and trainer.cfg.log.sample_every == 0 and trainer.cfg.log.eval_every == 0
    trainer.train_iteration()
    assert trainer.step == 1 and not (tmp_path / "options" / "checkpoints").exists()
