"""The speed benchmark compares like with like: the plain loop makes the same update as gankit's step."""
import pytest
import torch
from torch.testing import assert_close

from gankit.bench.speed import make_pair


@pytest.mark.parametrize("objective", ["ns", "wgan-gp"])
def test_plain_loop_matches_the_gankit_iteration(tmp_path, objective):
    trainer, plain = make_pair(objective, tmp_path)
    plain.batches.load_state_dict(trainer.batches.state_dict())
    rng = torch.get_rng_state()
    trainer.train_iteration()
    torch.set_rng_state(rng)
    plain()
    nets = trainer.exp.objective.nets
    for mine, theirs in [(nets["G"], plain.G), (nets["D"], plain.D)]:
        for a, b in zip(mine.parameters(), theirs.parameters()):
            assert_close(a, b, rtol=1e-5, atol=1e-6)

