"""Data-parallel training under torchrun: 2 gloo processes on the CPU match one process with the same global
batch, only rank 0 writes, resume is exact and refuses another number of processes. The two processes are
started as torchrun starts its workers (RANK, WORLD_SIZE, MASTER_ADDR / PORT), without its agent process;
`torchrun --standalone --nproc_per_node=2 tests/training/distributed_script.py CONFIG OUT` runs the same."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

import gankit
from gankit.cli import main
from gankit.training.checkpoint import list_checkpoints, load_checkpoint
from gankit.training.logging import MetricsLog

from ..conftest import TINY_TOY

# BatchNorm-free MLPs and a loss without randomness of its own, so one process and two see the same numbers
CONFIG = {**TINY_TOY, "objective": {"name": "ns", "options": {}}, "penalties": [],
          "optim": {k: {"name": "adam", "lr": 1e-3, "betas": [0.5, 0.99]} for k in "GD"},
          "log": {**TINY_TOY["log"], "sample_every": 3, "eval_every": 3}}
SCRIPT = Path(__file__).with_name("distributed_script.py")
TOLERANCE = {"rtol": 1e-5, "atol": 1e-6}  # sums over 2 x 16 samples, not 32: 6e-8 apart after 6 Adam steps here


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch_two(script: Path, config: Path, out: Path) -> list[str]:
    """Runs script CONFIG OUT in 2 processes (gloo) with the environment torchrun gives its workers; their
    outputs, after both exited 0."""
    src = str(Path(gankit.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]), "OMP_NUM_THREADS": "1",
           "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port()), "WORLD_SIZE": "2"}
    workers = [subprocess.Popen([sys.executable, str(script), str(config), str(out)], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True,
                                env={**env, "RANK": str(rank), "LOCAL_RANK": str(rank), "LOCAL_WORLD_SIZE": "2"})
               for rank in range(2)]
    try:
        outputs = [w.communicate(timeout=240)[0] for w in workers]
    finally:  # a hung collective must not leave a worker holding the port
        for w in workers:
            w.kill()
    assert [w.returncode for w in workers] == [0, 0], "\n".join(o[-3000:] for o in outputs)
    return outputs


@pytest.fixture(scope="module")
def two_process_runs(tmp_path_factory):
    """One launch of 2 processes: a straight run, and a run stopped at 3 and resumed to 6."""
    out = tmp_path_factory.mktemp("dist")
    config = out / "tiny.yaml"
    config.write_text(yaml.safe_dump({**CONFIG, "seed": 0}))
    return out, config, launch_two(SCRIPT, config, out)


def final_state(run_dir):
    tensors, meta = load_checkpoint(list_checkpoints(run_dir)[-1])
    return {k: v for k, v in tensors.items() if k.startswith(("net.", "ema."))}, meta


def test_two_processes_match_one_with_the_same_global_batch(two_process_runs, tmp_path):
    out, config, _ = two_process_runs
    (two,) = (out / "straight").iterdir()
    one = gankit.train(config, out_dir=str(tmp_path)).run_dir
    a, meta = final_state(two)
    b, _ = final_state(one)
    assert meta["world_size"] == 2 and meta["step"] == 6
    for key in a:
        torch.testing.assert_close(a[key], b[key], **TOLERANCE, msg=key)
    losses = lambda run: [r["D/total"] for r in MetricsLog(run / "metrics.jsonl").read() if "D/total" in r]  # noqa: E731
    assert losses(two) == pytest.approx(losses(one), rel=1e-4, abs=1e-5)  # averaged over the processes


def test_two_processes_accumulating_two_micro_batches_match_one_process(two_process_runs, tmp_path):
    """Each process splits its 16 samples into 2 micro-batches of 8; gradients summed, then averaged across the
    processes once: the update of one process with the whole batch of 32."""
    out, config, _ = two_process_runs
    (two,) = (out / "accumulated").iterdir()
    one = gankit.train(config, out_dir=str(tmp_path)).run_dir
    a, meta = final_state(two)
    b, _ = final_state(one)
    assert meta["config"]["train"]["accumulate"] == 2 and meta["world_size"] == 2
    for key in a:
        torch.testing.assert_close(a[key], b[key], **TOLERANCE, msg=key)


def test_only_rank_zero_writes(two_process_runs):
    out, _, outputs = two_process_runs
    (run,) = (out / "straight").iterdir()  # one run directory, made by rank 0 and shared
    records = MetricsLog(run / "metrics.jsonl").read()
    loss_steps = [r["step"] for r in records if "D/total" in r]
    assert loss_steps == [1, 2, 3, 4, 5, 6]  # each line once, not once per process
    assert [r["step"] for r in records if "toy/hq" in r] == [3, 6]
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["step-0000003.png", "step-0000006.png"]
    assert outputs[0].count("run directory:") == 4 and "run directory:" not in outputs[1]  # rank 0 speaks


def test_resume_under_torchrun_is_exact_and_another_world_size_is_refused(two_process_runs, capsys):
    out, _, _ = two_process_runs
    (straight,) = (out / "straight").iterdir()
    (resumed,) = (out / "resumed").iterdir()
    a, _ = final_state(straight)
    b, _ = final_state(resumed)
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert main(["train", "--resume", str(resumed), "--set", "train.steps=8"]) == 2
    assert "trained on 2 process(es), this launch has 1" in capsys.readouterr().err


def test_a_failure_on_one_process_stops_both_naming_the_term_and_the_process(tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump({**CONFIG, "seed": 0}))
    outputs = launch_two(SCRIPT.with_name("distributed_failure_script.py"), config, tmp_path)
    for output in outputs:  # the same report on both, not "another process" on the healthy one; the quantity
        # stays the bare name (a rollback event records it), the process is a field of its own
        assert ("stopped: loss poison of phase D on process 1 became nan at step 1 "
                "| quantity=loss poison of phase D process=1") in output
        assert ("stopped: D/grad_norm on process 1 = 1e+09 at step 1, over 1000x its running level 2 "
                "| quantity=D/grad_norm process=1") in output
