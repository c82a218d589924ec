"""The speed benchmark compares like with like: the plain loop makes the same update as gankit's step."""
import pytest
import torch
from torch.testing import assert_close

from gankit.bench.speed import CRITIC_VARIANTS, critic_step, critic_trainer, make_pair


CONV_NETS = ("model.G={name: dcgan, options: {width: 16, norm: batch}}", "model.D={name: dcgan, options: {width: 16}}")


@pytest.mark.parametrize("objective, overrides", [
    ("ns", ()), ("wgan-gp", ()),
    # the T3 comparison's settings: the same hinge update under the same autocast and memory layout
    ("hinge", (*CONV_NETS, "train.channels_last=true", "train.precision=bf16")),
])
def test_plain_loop_matches_the_gankit_iteration(tmp_path, objective, overrides):
    trainer, plain = make_pair(objective, tmp_path, *overrides)
    if overrides:
        conv = plain.D.net[0].weight
        assert plain.layout == torch.channels_last and conv.is_contiguous(memory_format=torch.channels_last)
        dtypes = []  # Adam's sign-like first step hides an fp32 / bf16 mismatch in the weights: check the critic's
        plain.D.register_forward_hook(lambda module, args, out: dtypes.append(out.dtype))  # arithmetic itself
    # gankit scores real and fake in one forward, the plain loop in two: equal up to rounding (tested with the
    # critics), which Adam's first steps amplify where a gradient is near 0; here both take two forwards
    trainer.exp.objective.one_critic_forward = False
    plain.batches.load_state_dict(trainer.batches.state_dict())
    rng = torch.get_rng_state()
    trainer.train_iteration()
    torch.set_rng_state(rng)
    plain()
    if overrides:
        assert dtypes and set(dtypes) == {torch.bfloat16}
    nets = trainer.exp.objective.nets
    for mine, theirs in [(nets["G"], plain.G), (nets["D"], plain.D)]:
        for a, b in zip(mine.parameters(), theirs.parameters()):
            assert_close(a, b, rtol=1e-5, atol=1e-6)



def test_critic_variants_run_what_they_name(tmp_path):
    """Each D-step variant builds the constraint or penalty it is named after, and the plain one neither."""
    plain = critic_trainer(tmp_path, "plain").exp.objective
    assert not plain.penalties and not hasattr(plain.nets["D"].head, "parametrizations")
    for name, overrides in CRITIC_VARIANTS.items():
        trainer = critic_trainer(tmp_path, name.replace(" ", "_"), *overrides)
        objective = trainer.exp.objective
        if name == "spectral norm":
            assert hasattr(objective.nets["D"].head, "parametrizations") and not objective.penalties
        else:
            assert [p.name.replace("_", "-") for p in objective.penalties] == [name.split()[1].rstrip(",")]
        critic_step(trainer)()
        assert trainer.phase_steps == {"D": 1, "G": 0}


def test_preset_ratio_times_the_preset_as_shipped(tmp_path):
    from gankit.bench.speed import preset_ratio

    loop_only, with_periodic = preset_ratio("ring8-wgan-gp", tmp_path, repeats=1, iterations=1)
    assert 0 < loop_only < with_periodic  # samples, evaluations and checkpoints cost something
    (run,) = tmp_path.iterdir()
    assert (run / "samples").is_dir()


def test_race_stops_the_clock_while_evaluating():
    import time

    from gankit.bench.ttq import Race, take_turns

    def race(*args, **kwargs):
        return take_turns({"one": Race(*args, **kwargs)})["one"]

    values = iter([9.0, 7.0, 4.0, 1.0])

    def evaluate():
        time.sleep(0.05)
        return next(values)

    result = race(lambda: None, evaluate, threshold=5.0, eval_every=2, max_steps=100)
    assert result["step"] == 6 and result["fd"] == 4.0 and result["seconds"] < 0.05
    assert race(lambda: None, lambda: 9.0, 5.0, 1, 3)["seconds"] is None


def test_races_taking_turns_draw_what_each_would_draw_alone():
    """Each race's global-RNG stream is its own: a race beside another that draws from the global RNG too ends
    at the same step with the same value as alone."""
    from gankit.bench.ttq import Race, take_turns

    def walker(seed: int):
        torch.manual_seed(seed)
        total = []
        return Race(lambda: total.append(float(torch.rand(()))), lambda: -sum(total), -3.0, 2, 40)

    alone = {seed: take_turns({"r": walker(seed)})["r"] for seed in (0, 1)}
    together = take_turns({seed: walker(seed) for seed in (0, 1)})
    for seed in (0, 1):
        assert (together[seed]["step"], together[seed]["fd"]) == (alone[seed]["step"], alone[seed]["fd"])
    assert together[0]["step"] is not None and together[0]["fd"] <= -3.0


def test_time_to_quality_of_the_plain_loop_is_its_own_reference():
    from gankit.bench.ttq import GANKIT_T2, PLAIN, run_time_to_quality

    rows = run_time_to_quality((), threshold=1e9, eval_every=1, max_steps=2)
    assert rows[PLAIN]["step"] == 1 and rows[PLAIN]["ratio"] == 1.0
    assert rows[GANKIT_T2]["step"] == 1 and rows[GANKIT_T2]["ratio"] > 0  # gankit on the same networks, beside it


def test_time_to_quality_takes_digits_presets_only(capsys):
    from gankit.cli import main

    assert main(["bench", "speed", "--ttq-presets", "ring8-wgan-gp"]) == 2
    assert "races to a digits FD" in capsys.readouterr().err


def test_schedule_trainers_differ_only_in_the_schedule(tmp_path):
    from gankit.bench.speed import schedule_trainer

    simultaneous, alternating = schedule_trainer(tmp_path, "simultaneous"), schedule_trainer(tmp_path, "alternating")
    assert [p.name for p in simultaneous.phases] == ["D+G"] and [p.name for p in alternating.phases] == ["D", "G"]
    assert alternating.schedule.repeats == {"critic": 1, "generator": 1}
    a, b = simultaneous.exp.objective.nets.state_dict(), alternating.exp.objective.nets.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_precision_ratio_compares_the_same_preset_in_two_precisions(tmp_path):
    from gankit.bench.speed import preset_trainer

    bf16 = preset_trainer("digits-wgan-gp", tmp_path, "train.precision=bf16")
    fp32 = preset_trainer("digits-wgan-gp", tmp_path, "train.precision=fp32")
    assert (bf16.precision.dtype, fp32.precision.dtype) == (torch.bfloat16, None)
    for name in ("G", "D"):  # the same seed, so the same starting weights: only the precision differs
        for a, b in zip(bf16.exp.objective.nets[name].parameters(), fp32.exp.objective.nets[name].parameters()):
            assert torch.equal(a, b)
    bf16.train_iteration()
    assert bf16.phase_steps == {"D": 5, "G": 1}


def test_precision_ratio_reports_one_row(tmp_path):
    from gankit.bench.speed import precision_ratio

    (label, ratio), = precision_ratio(tmp_path, repeats=1, iterations=1).items()
    assert label == "digits-wgan-gp: bf16 / fp32 per iteration" and 0.1 < ratio < 10


def test_trainers_keep_the_thread_count_the_bench_runs_with(tmp_path):
    """A preset's train.threads (1) must not undo `gankit bench speed --threads N`."""
    from gankit.bench.speed import preset_trainer

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        trainer = preset_trainer("ring8-wgan-gp", tmp_path)
        assert torch.get_num_threads() == 2 and trainer.cfg.train.threads == 2
    finally:
        torch.set_num_threads(before)


def test_the_plain_loop_refuses_losses_it_does_not_write(tmp_path):
    from gankit.errors import ConfigError

    _, plain = make_pair("lsgan", tmp_path)
    with pytest.raises(ConfigError, match="no plain loop is written for this objective"):
        plain()


def test_a_race_scores_with_the_measure_it_is_given(tmp_path):
    """T3's races score by SWD, not the digits FD: config_race calls measure(trainer) at each check."""
    from gankit.bench.ttq import config_race, take_turns
    from gankit.presets import load_preset

    seen = []

    def measure(trainer):
        seen.append(trainer.step)
        return 10.0 - len(seen)

    race = config_race(load_preset("digits-wgan-gp"), "r", tmp_path, 8.0, 2, 10, measure=measure)
    result = take_turns({"r": race})["r"]
    assert seen == [2, 4] and result["step"] == 4 and result["fd"] == 8.0


def test_t3_races_score_by_the_swd_of_the_runs_eval_samples(tmp_path):
    from gankit.bench.ttq import t3_swd
    from gankit.metrics import swd

    trainer, _ = make_pair("hinge", tmp_path, *CONV_NETS, "log.eval_samples=64")
    value = t3_swd(trainer)
    assert value > 0 and value == float(swd(trainer.exp.generate(trainer.eval_z), trainer.dataset)["avg"])
