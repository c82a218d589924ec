"""Exact resume, Ctrl-C, NaN: the trainer's promises."""
import signal

import pytest
import torch

from gankit.data import dataset_for
from gankit.errors import TrainingDiverged
from gankit.training.experiment import build_experiment
from gankit.training.checkpoint import list_checkpoints, load_checkpoint
from gankit.training.logging import MetricsLog
from gankit.training.trainer import Trainer

from ..conftest import TINY_BIGAN, TINY_DIGITS, TINY_TOY, tiny


def make_trainer(cfg, run_dir):
    dataset = dataset_for(cfg.data)  # as a run reads it (data.mirror included)
    exp = build_experiment(cfg, dataset.spec)
    run_dir.mkdir(parents=True, exist_ok=True)
    return Trainer(exp, dataset, run_dir)


def full_state(trainer):
    tensors, _ = trainer.exp.state()
    return tensors


def assert_bit_identical(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def straight_and_resumed(base: dict, tmp_path, stop_at: int = 3):
    """(a run trained straight through, the same run stopped at `stop_at`, rebuilt afresh, resumed and finished)."""
    straight = make_trainer(tiny(base, tmp_path), tmp_path / "straight")
    straight.fit()
    make_trainer(tiny(base, tmp_path, f"train.steps={stop_at}"), tmp_path / "resumed").fit()
    second = make_trainer(tiny(base, tmp_path), tmp_path / "resumed")  # a new process would build afresh
    second.resume()
    assert second.step == stop_at
    second.fit()
    return straight, second


def loss_lines(run_dir):
    return [r for r in MetricsLog(run_dir / "metrics.jsonl").read() if "D/total" in r]


TINY_SN_LAZY = {**TINY_TOY, "objective": {"name": "hinge"},
                "constraints": [{"name": "spectral-norm", "network": "D"}],
                "penalties": [{"name": "r1", "weight": 1.0, "every": 4}]}  # 12 D-steps, resumed after 6


TINY_BIGAN_QP = {**TINY_BIGAN, "objective": {"name": "bigan-qp"}}


@pytest.mark.parametrize("base", [TINY_TOY, TINY_DIGITS, TINY_SN_LAZY, TINY_BIGAN_QP],
                         ids=["ring8-mlp-wgan-gp", "digits-dcgan-bn-ns", "ring8-sn-lazy-r1", "digits-bigan-qp-ema-e"])
def test_resume_is_bit_identical(tmp_path, base):
    straight = make_trainer(tiny(base, tmp_path), tmp_path / "straight")
    straight.fit()

    first = make_trainer(tiny(base, tmp_path, "train.steps=3"), tmp_path / "resumed")
    first.fit()
    second = make_trainer(tiny(base, tmp_path), tmp_path / "resumed")  # a new process would build afresh
    second.resume()
    assert second.step == 3
    second.fit()

    assert_bit_identical(full_state(straight), full_state(second))
    assert loss_lines(tmp_path / "straight") == loss_lines(tmp_path / "resumed")


def test_resume_differs_without_rng_restore(tmp_path):
    """The check above has teeth: skipping the RNG restore changes the weights."""
    straight = make_trainer(tiny(TINY_TOY, tmp_path), tmp_path / "a")
    straight.fit()
    make_trainer(tiny(TINY_TOY, tmp_path, "train.steps=3"), tmp_path / "b").fit()
    other = make_trainer(tiny(TINY_TOY, tmp_path), tmp_path / "b")
    state = torch.get_rng_state()
    other.resume()
    torch.set_rng_state(state)
    other.fit()
    a, b = full_state(straight), full_state(other)
    assert not all(torch.equal(a[k], b[k]) for k in a)


class InterruptingBatches:
    """Wraps a batch source and delivers a real SIGINT to this process on the n-th batch."""

    def __init__(self, inner, at):
        self.inner, self.at, self.calls = inner, at, 0

    def next(self):
        self.calls += 1
        if self.calls == self.at:
            signal.raise_signal(signal.SIGINT)
        return self.inner.next()

    def state_dict(self):
        return self.inner.state_dict()

    def load_state_dict(self, state):
        self.inner.load_state_dict(state)


def test_ctrl_c_saves_and_resumes_exactly(tmp_path):
    handler_before = signal.getsignal(signal.SIGINT)  # SIG_IGN in a background job, Python's handler otherwise
    straight = make_trainer(tiny(TINY_TOY, tmp_path), tmp_path / "straight")
    straight.fit()

    cfg = tiny(TINY_TOY, tmp_path, "log.checkpoint_every=100")
    interrupted = make_trainer(cfg, tmp_path / "run")
    interrupted.batches = InterruptingBatches(interrupted.batches, at=6)  # inside iteration 3 (2 real batches each)
    result = interrupted.fit()
    assert result["interrupted"] and result["step"] == 3
    assert [p.name for p in list_checkpoints(tmp_path / "run")] == ["step-0000003.safetensors"]

    resumed = make_trainer(cfg, tmp_path / "run")
    resumed.resume()
    resumed.fit()
    assert_bit_identical(full_state(straight), full_state(resumed))
    assert signal.getsignal(signal.SIGINT) is handler_before


class PoisonedBatches(InterruptingBatches):
    """Returns NaN data from the n-th batch on."""

    def next(self):
        self.calls += 1
        x, y = self.inner.next()
        return (x * float("nan"), y) if self.calls >= self.at else (x, y)


def test_nan_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    cfg = tiny(TINY_TOY, tmp_path, "log.checkpoint_every=2", "train.steps=10")
    trainer = make_trainer(cfg, tmp_path / "run")
    trainer.batches = PoisonedBatches(trainer.batches, at=3 * 2 + 1)  # first batch of iteration 4 (2 real batches each)
    with pytest.raises(TrainingDiverged, match=r"loss d_loss of phase D became nan at step 4; .*step-0000002") as err:
        trainer.fit()
    assert "lower the learning rates" in str(err.value) and "divergence_factor" not in str(err.value)
    kept = list_checkpoints(tmp_path / "run")
    assert [p.name for p in kept] == ["step-0000002.safetensors"]
    tensors, meta = load_checkpoint(kept[-1])
    assert meta["step"] == 2 and all(torch.isfinite(t).all() for t in tensors.values() if t.is_floating_point())


def test_toy_run_writes_metrics_and_picture(tmp_path):
    cfg = tiny(TINY_TOY, tmp_path, "log.eval_every=3", "log.sample_every=3")
    trainer = make_trainer(cfg, tmp_path / "run")
    result = trainer.fit()
    evals = [r for r in MetricsLog(tmp_path / "run" / "metrics.jsonl").read() if "toy/modes" in r]
    assert [r["step"] for r in evals] == [3, 6]
    assert set(result["metrics"]) == {"toy/modes", "toy/hq", "toy/reverse_kl"}
    assert sorted(p.name for p in (tmp_path / "run" / "samples").iterdir()) == ["step-0000003.png", "step-0000006.png"]


def test_n_critic_counts_phase_steps(tmp_path):
    cfg = tiny(TINY_TOY, tmp_path, "train.n_critic=3", "train.steps=2")
    trainer = make_trainer(cfg, tmp_path / "run")
    trainer.fit()
    d_opt, g_opt = trainer.exp.optimizers["D"], trainer.exp.optimizers["G"]
    d_steps = int(next(iter(d_opt.state.values()))["step"])
    g_steps = int(next(iter(g_opt.state.values()))["step"])
    assert (d_steps, g_steps) == (6, 2)
    assert trainer.exp.ema["G"].num_updates == 2


def test_weight_clip_constraint_holds_after_training(tmp_path):
    cfg = tiny(TINY_TOY, tmp_path, "objective.name=wgan", "objective.options={}",
               "constraints=[{name: weight-clip, network: D, options: {value: 0.005}}]", "optim.D.lr=0.1")
    trainer = make_trainer(cfg, tmp_path / "run")
    trainer.fit()
    assert max(float(p.abs().max()) for p in trainer.exp.objective.nets["D"].parameters()) <= 0.005


def test_resume_after_a_crash_mid_log_line(tmp_path):
    cfg = tiny(TINY_TOY, tmp_path, "train.steps=3")
    make_trainer(cfg, tmp_path / "run").fit()
    with open(tmp_path / "run" / "metrics.jsonl", "a") as f:
        f.write('{"step": 4, "d_lo')  # the process died mid-append
    again = make_trainer(tiny(TINY_TOY, tmp_path), tmp_path / "run")
    again.resume()
    again.fit()
    steps = [r["step"] for r in MetricsLog(tmp_path / "run" / "metrics.jsonl").read() if "D/total" in r]
    assert steps == [1, 2, 3, 4, 5, 6]


def test_lazy_penalty_counts_critic_steps_across_resume(tmp_path):
    """r1 every 4 D-steps: due at D-steps 0, 4, 8 of 12, also when the run is resumed after D-step 6."""
    first = make_trainer(tiny(TINY_SN_LAZY, tmp_path, "train.steps=3"), tmp_path / "run")
    first.fit()
    second = make_trainer(tiny(TINY_SN_LAZY, tmp_path), tmp_path / "run")
    second.resume()
    assert second.phase_steps == {"D": 6, "G": 3}
    second.fit()
    assert second.phase_steps == {"D": 12, "G": 6}
    logged = [r for r in MetricsLog(tmp_path / "run" / "metrics.jsonl").read() if "D/total" in r]
    assert [r["step"] for r in logged if "r1" in r] == [1, 3, 5]  # iterations holding D-steps 0, 4 and 8


def test_encoder_runs_average_the_encoder_with_the_generator(tmp_path):
    trainer = make_trainer(tiny(TINY_BIGAN_QP, tmp_path), tmp_path / "run")
    trainer.fit()
    assert set(trainer.exp.ema) == {"G", "E"} and trainer.exp.ema["E"].num_updates == 6
    tensors = full_state(trainer)
    assert "ema_E_updates" in tensors and any(k.startswith("ema_E.") for k in tensors)
    x = torch.zeros(2, 1, 8, 8)
    averaged, raw = trainer.exp.encode(x), trainer.exp.encode(x, use_ema=False)
    assert not torch.equal(averaged, raw)


class RecordingBar:
    def __init__(self):
        self.postfixes = []

    def set_postfix(self, postfix, refresh=True):
        self.postfixes.append(postfix)


@pytest.mark.parametrize("log_every", [2, 4])
def test_progress_bar_shows_the_latest_evaluation(tmp_path, log_every):
    """The bar is updated after the evaluation of the same step, and at an evaluation between loss lines."""
    cfg = tiny(TINY_TOY, tmp_path, f"log.log_every={log_every}", "log.eval_every=2", "log.eval_samples=200")
    trainer = make_trainer(cfg, tmp_path / "run")
    bar = RecordingBar()
    for _ in range(2):
        trainer.train_iteration()
        trainer.after_iteration(bar)
    assert bar.postfixes[-1]["hq"] == f"{trainer.last_eval['toy/hq']:.3g}"
    assert trainer.last_eval and len(bar.postfixes) == 1


class CountingBatches(InterruptingBatches):
    def __init__(self, inner):
        super().__init__(inner, at=-1)


@pytest.mark.parametrize("base, per_iteration", [(TINY_TOY, 2), (TINY_BIGAN, 3)], ids=["G reads no data", "GE reads x"])
def test_a_phase_that_reads_no_real_data_draws_no_batch(tmp_path, base, per_iteration):
    """n_critic = 2 critic batches per iteration; the GAN's G phase draws none, BiGAN's G+E phase encodes x."""
    trainer = make_trainer(tiny(base, tmp_path), tmp_path / "run")
    trainer.batches = CountingBatches(trainer.batches)
    trainer.train_iteration()
    trainer.train_iteration()
    assert trainer.batches.calls == 2 * per_iteration


def test_a_phase_backward_computes_gradients_only_for_what_it_updates(tmp_path):
    """The gradient penalty's points require grad; the critic phase's backward leaves them without one and
    gives D bit for bit the gradient of a backward to every leaf (which also fills the points' .grad). An ELU
    critic: its second derivative is not 0, so the penalty's graph runs back to the points (a ReLU critic's
    does not, see tests/nn/test_activations.py)."""
    trainer = make_trainer(tiny(TINY_TOY, tmp_path, "model.D.options.activation=elu"), tmp_path / "run")
    D, phase = trainer.exp.objective.nets["D"], trainer.phases[0]
    points: list[torch.Tensor] = []
    D.register_forward_pre_hook(lambda module, args: points.append(args[0]) if args[0].requires_grad else None)
    batch = trainer.next_batch(phase)
    grads = []
    for pruned in (True, False):
        points.clear()
        D.zero_grad(set_to_none=True)
        torch.manual_seed(0)  # the same interpolates both times
        loss = phase.loss(batch)["total"]
        trainer.precision.backward(loss, trainer.updated_parameters(phase)) if pruned else loss.backward()
        grads.append([p.grad.clone() for p in D.parameters()])
        assert len(points) == 1 and (points[0].grad is None) == pruned  # the penalty's one forward at its points
    assert all(torch.equal(a, b) for a, b in zip(*grads))
