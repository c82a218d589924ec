"""Option values outside their declared domain, and command lines naming the wrong kind of path (issue: input
integrity): exit 2, one line naming the field or file, no traceback, and no run directory left behind."""
import pytest
import torch

from gankit.domains import domains_of
from gankit.objectives import OBJECTIVES

from .test_bad_inputs import assert_one_line, newest, rewrite, run, trained  # noqa: F401  (trained: a fixture)

OPTIONS = [  # (preset, override, message)
    ("ring8-ebm", "objective.options.alpha=-1", "objective.options.alpha: expected a number >= 0, got -1"),
    ("ring8-ebm", "objective.options.step_size=0", "objective.options.step_size: expected a number > 0, got 0"),
    ("ring8-ebm", "objective.options.step_size=-0.5", "objective.options.step_size: expected a number > 0"),
    ("ring8-ebm", "objective.options.steps=0", "objective.options.steps: expected an integer from 1 to 100000"),
    ("ring8-ebm", "objective.options.noise_scale=-1", "objective.options.noise_scale: expected a number >= 0"),
    ("ring8-ebm", "objective.options.clip_grad=-1", "objective.options.clip_grad: expected a number >= 0"),
    ("ring8-ebm", "objective.options.reinit_prob=2", "objective.options.reinit_prob: expected a probability in [0, 1]"),
    ("ring8-ebm", "objective.options.init_range=0", "objective.options.init_range: expected a number > 0"),
    ("ring8-ebm", "objective.options.buffer_size=0", "objective.options.buffer_size: expected an integer from 1 to 16777216"),
    ("ring8-ebm", "objective.options.buffer_size=100000000", "objective.options.buffer_size: expected an integer from 1 to"),
    ("ring8-ebm", "objective.options.sample_steps=0", "objective.options.sample_steps: expected an integer from 1"),
    ("ring8-ebm", "objective.options.alpha=.nan", "objective.options.alpha: expected a finite number"),
    ("ring8-meg", "objective.options.score_weight=-0.1", "objective.options.score_weight: expected a number >= 0"),
    ("ring8-meg", "objective.options.mi_weight=-1", "objective.options.mi_weight: expected a number >= 0"),
    ("digits-vae", "objective.options.beta=-1", "objective.options.beta: expected a number >= 0, got -1"),
    ("digits-vae", "objective.options.dequantize=-0.125", "objective.options.dequantize: expected a number >= 0"),
    ("digits-vae", "objective.options.tau=1.5", "objective.options.tau: expected a probability in [0, 1]"),
    ("digits-vq-vae", "objective.options.quantizer_options.codebook_size=1",
     "objective.options.quantizer_options.codebook_size: expected an integer from 2 to"),
    ("digits-vq-vae", "objective.options.quantizer_options.beta=-1", "quantizer_options.beta: expected a number >= 0"),
    ("digits-vq-vae", "objective.options.quantizer_options.ema_decay=1", "quantizer_options.ema_decay: expected a value in [0, 1)"),
    ("digits-vq-vae", "objective.options.quantizer_options.usage_decay=-1", "quantizer_options.usage_decay: expected a value in [0, 1)"),
    ("digits-fsq", "objective.options.quantizer_options.levels=[a,b,c]",
     "quantizer_options.levels: expected a list of 1 to 64 integers, each from 2 to 65536, got ['a', 'b', 'c']"),
    ("digits-fsq", "objective.options.quantizer_options.levels=[1,2,3]", "quantizer_options.levels: expected a list of 1 to 64"),
    ("digits-fsq", "objective.options.quantizer_options.levels=[]", "quantizer_options.levels: expected a list of 1 to 64"),
    ("digits-fsq", "objective.options.quantizer_options.levels=8", "quantizer_options.levels: expected a list"),
    ("digits-fsq", "objective.options.quantizer_options.levels=[8.5,6,5]", "quantizer_options.levels: expected a list"),
    ("digits-fsq", "objective.options.quantizer_options.eps=0", "quantizer_options.eps: expected a number > 0"),
    ("digits-wgan-gp", "objective.options.gp_weight=-10", "objective.options.gp_weight: expected a number >= 0"),
    ("digits-wgan-gp", "penalties=[{name: gp, weight: -1}]", "config field penalties.0.weight: expected a number >= 0"),
    ("digits-wgan-gp", "penalties=[{name: gp, options: {center: -1}}]", "penalties.0.options.center: expected a number >= 0"),
    ("digits-wgan-gp", "constraints=[{name: weight-clip, network: D, options: {value: 0}}]",
     "constraints.0.options.value: expected a number > 0, got 0"),
    ("digits-wgan-gp", "constraints=[{name: spectral-norm, network: D, options: {n_power_iterations: 0}}]",
     "constraints.0.options.n_power_iterations: expected an integer from 1 to 100"),
    ("digits-bigan", "objective.options.r1=-1", "objective.options.r1: expected a number >= 0"),
    ("digits-bigan-qp", "objective.options.lam=0", "objective.options.lam: expected a number > 0"),
    ("digits-gan-qp-l1", "objective.options.lam=-1", "objective.options.lam: expected a number > 0"),
    ("digits-o-gan", "objective.options.shrink=1.5", "objective.options.shrink: expected a probability in [0, 1]"),
    ("digits-ign", "objective.options.applications=0", "objective.options.applications: expected an integer from 1 to 1000"),
    ("digits-dae", "objective.options.sigma_min=0", "objective.options.sigma_min: expected a number > 0"),
    ("digits-eae", "objective.options.k=0", "objective.options.k: expected an integer from 1 to 1000"),
]


@pytest.mark.parametrize("preset, override, message", OPTIONS, ids=[c[1][18:60] for c in OPTIONS])
def test_options_outside_their_domain_leave_nothing(capsys, tmp_path, preset, override, message):
    runs = tmp_path / "runs"
    assert_one_line(*run(capsys, "train", preset, "--set", f"out_dir={runs}", "--set", override), message)
    assert not runs.exists()


def test_a_replay_buffer_beyond_the_old_generic_cap_is_accepted(tmp_path, capsys):
    code, _ = run(capsys, "train", "ring8-ebm", "--set", f"out_dir={tmp_path}", "--set", "objective.options.buffer_size=200000",
                  "--set", "train.steps=1", "--set", "log.eval_samples=10", "--set", "log.progress=false",
                  "--set", "objective.options.sample_steps=1")
    assert code == 0


def test_the_domains_sit_beside_the_options_they_check():
    for name in ("ebm", "meg", "meg-infogan", "vae"):
        cls = OBJECTIVES.get(name)
        import inspect

        assert set(domains_of(cls)) <= set(inspect.signature(cls).parameters), name


def test_resume_and_output_paths_named_as_what_they_are(tmp_path, capsys, trained):
    checkpoint = newest(trained)
    (tmp_path / "a-file").write_text("x")
    cases = [
        (["train", "--resume", tmp_path / "never-made"], "never-made: no such run directory, nothing to resume"),
        (["train", "--resume", checkpoint], f"{checkpoint}: a file; resuming takes the run directory (the folder "
                                            f"holding checkpoints/), e.g. {trained}"),
        (["train", "--resume", tmp_path / "a-file"], "a-file: a file; resuming takes the run directory"),
        (["train", "--resume", tmp_path], f"{tmp_path}: nothing to resume, no checkpoint in"),
        (["sample", trained, "--out-dir", tmp_path / "a-file"], "--out-dir " + str(tmp_path / "a-file") + ": a file, expected a folder"),
        (["sample", trained, "--out-dir", tmp_path / "a-file" / "sub"], "a-file is a file, not a folder"),
        (["sample", trained, "--out-dir", "/dev/null/x"], "--out-dir /dev/null/x: /dev/null is a file, not a folder"),
        (["train", "--set", f"out_dir={tmp_path / 'a-file' / 'runs'}"], "config field out_dir: cannot make"),
    ]
    for argv, message in cases:
        code, err = run(capsys, *argv)
        assert_one_line(code, err, message)
        assert "Errno" not in err and "Not a directory" not in err
    assert not (tmp_path / "never-made").exists()


def test_sampling_nan_weights_is_refused_not_written(tmp_path, capsys, trained):
    source = newest(trained)
    from safetensors import safe_open

    with safe_open(str(source), framework="pt") as f:
        nan = {k: torch.full_like(f.get_tensor(k), float("nan")) for k in f.keys()
               if k.startswith("net.G.") and f.get_tensor(k).is_floating_point()}
    broken = rewrite(source, tmp_path / "nan.safetensors", tensors=nan)
    out = tmp_path / "s.png"
    code, err = run(capsys, "sample", broken, "--no-ema", "-o", out)
    assert_one_line(code, err, "nan.safetensors: the weights of G hold NaN or inf; nothing written")
    code, err = run(capsys, "sample", broken, "--no-ema", "--out-dir", tmp_path / "pngs")
    assert_one_line(code, err, "the weights of G hold NaN or inf")
    assert not out.exists() and not (tmp_path / "pngs").exists()
    code, _ = run(capsys, "sample", broken, "-o", out)  # the EMA copy is finite: that one samples
    assert code == 0 and out.exists()
