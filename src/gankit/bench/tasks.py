"""Benchmark tasks of docs/benchmarks.md section 5 as config dicts, one per (task, objective)."""
from __future__ import annotations

from ..config import deep_merge
from ..presets import load_preset

T2_NETS = {  # G z32-256-256-64 tanh, D 256x2 LeakyReLU
    "z_dim": 32,
    "G": {"name": "mlp", "options": {"hidden": 256, "depth": 2, "activation": "relu"}},
    "D": {"name": "mlp", "options": {"hidden": 256, "depth": 2, "activation": "leaky_relu"}},
}
ADAM_DCGAN = {"name": "adam", "lr": 2.0e-4, "betas": [0.5, 0.999]}
T2_OBJECTIVES = {  # each objective with its paper's optimizer and critic ratio
    "wgan-gp": {"objective": {"name": "wgan-gp", "options": {"gp_weight": 10.0}}, "train": {"n_critic": 5},
                "optim": {k: {"name": "adam", "lr": 1.0e-4, "betas": [0.0, 0.9]} for k in "GD"}},
    "wgan-clip": {"objective": {"name": "wgan"}, "train": {"n_critic": 5},
                  "constraints": [{"name": "weight-clip", "network": "D", "options": {"value": 0.01}}],
                  "optim": {k: {"name": "rmsprop", "lr": 5.0e-5} for k in "GD"}},
    **{name: {"objective": {"name": name}, "train": {"n_critic": 1}, "optim": {k: ADAM_DCGAN for k in "GD"}}
       for name in ("ns", "minimax", "hinge", "lsgan")},
}
T2_BASE = {"data": {"name": "digits-train", "batch_size": 64}, "model": T2_NETS,
           "train": {"steps": 6000, "ema_decay": 0.999},
           "log": {"eval_every": 1000, "sample_every": 0, "checkpoint_every": 6000, "eval_samples": 797}}

LIPSCHITZ = ("sngan", "sngan-resnet", "wgan-div", "r1-gan", "dragan", "wgan-gp-onesided")  # presets per dataset
ENCODER_TOY = ("gan-qp-l1", "gan-qp-l2", "bigan", "ali", "bigan-qp")  # o-gan: rho over 2 coordinates is +-1
ENCODER_DIGITS = (*ENCODER_TOY, "o-gan")
TOY_PRESETS, DIGITS_PRESETS = LIPSCHITZ + ENCODER_TOY, LIPSCHITZ + ENCODER_DIGITS
T2_EVAL = {"data": {"name": "digits-train"},
           "log": {"eval_every": 1000, "sample_every": 0, "checkpoint_every": 6000, "eval_samples": 797}}

def on_grid(preset: str) -> dict:
    """A ring8 preset on the 25-mode grid, its other data settings (batch size above all) kept by deep_merge."""
    return deep_merge(load_preset(preset), {"data": {"name": "grid25"}})


TASKS = {
    "t1-ring": {"ring8-wgan-gp": load_preset("ring8-wgan-gp"),
                **{f"ring8-{n}": load_preset(f"ring8-{n}") for n in TOY_PRESETS}},
    "t1-grid": {"grid25-wgan-gp": load_preset("grid25-wgan-gp"),  # the ring8 presets on the 25-mode grid
                **{f"grid25-{n}": on_grid(f"ring8-{n}") for n in TOY_PRESETS}},
    "t1-collapse": {"ring8-ns": load_preset("ring8-ns")},
    "t2": {**{name: deep_merge(T2_BASE, extra) for name, extra in T2_OBJECTIVES.items()},  # T2's MLPs
           **{f"digits-{n}": deep_merge(load_preset(f"digits-{n}"), T2_EVAL) for n in DIGITS_PRESETS}},  # the presets' nets
}
# issue 11: the single-loss schedule, a class-conditional GAN and IGN
TASKS["t2"].update({f"digits-{n}": deep_merge(load_preset(f"digits-{n}"), T2_EVAL) for n in ("single-loss", "cgan", "ign")})
TASKS["t1-ring"]["ring8-ign"] = load_preset("ring8-ign")
HEADLINE = {"t1-ring": "toy/hq", "t1-grid": "toy/hq", "t1-collapse": "toy/reverse_kl", "t2": "digits/fd"}

# issue 10, the autoencoder family: VAE / EAE / DAE by FD in t2, the DAE on the ring, and the quantizers at the same
# 240 codes by held-out reconstruction and codebook usage in t5-codes (gankit eval --likelihood gives T4)
TASKS["t2"].update({f"digits-{n}": deep_merge(load_preset(f"digits-{n}"), T2_EVAL) for n in ("vae", "eae", "dae")})
TASKS["t1-ring"]["ring8-dae"] = load_preset("ring8-dae")
TASKS["t5-codes"] = {f"digits-{n}": deep_merge(load_preset(f"digits-{n}"), T2_EVAL) for n in ("vq-vae", "vq-rotation", "fsq")}
HEADLINE["t5-codes"] = "encoder/recon_mse"


def task_config(task: str, entry: str, seed: int, out_dir: str) -> dict:
    cfg = deep_merge(TASKS[task][entry], {"seed": seed, "out_dir": out_dir, "name": f"{task}-{entry}-s{seed}"})
    if (task, entry) in TEACHERS:  # a distillation reads its teacher's run of the same seed
        cfg = deep_merge(cfg, {"objective": {"options": {"teacher": teacher_run(*TEACHERS[task, entry], seed, out_dir)}}})
    return deep_merge(cfg, {"train": {"threads": 1}, "log": {"progress": False}})


def task_steps(task: str, entry: str) -> int:
    """The training steps the entry asks for (its config's, or the default)."""
    from ..config import build_config

    return build_config(TASKS[task][entry]).train.steps


TEACHERS: dict[tuple[str, str], tuple[str, str]] = {}  # (task, entry) -> the (task, entry) whose run it distils


def teacher_run(task: str, entry: str, seed: int, out_dir: str) -> str:
    """The run directory of the teacher entry's record of this seed (records lie beside out_dir, the runs folder);
    '' before the teacher is benched, which the distillation refuses in one line when it is built."""
    import json
    from pathlib import Path

    record = Path(out_dir).parent / task / f"{entry}-s{seed}.json"
    return json.loads(record.read_text())["run_dir"] if record.is_file() else ""

# issue 13: mixed precision's effect on quality, the default preset in fp32 and bf16 (seconds per run in the records)
TASKS["precision"] = {f"digits-wgan-gp-{p}": deep_merge(load_preset("digits-wgan-gp"), {**T2_EVAL, "train": {"precision": p}})
                      for p in ("fp32", "bf16")}
HEADLINE["precision"] = "digits/fd"

# issue 27: gradient accumulation on T2-WGAN-GP: batch 64 in one pass against 4 micro-batches of 16 (the same
# effective batch), the full 6,000 steps; the FDs should agree within the seeds' spread
T2_WGAN_GP = deep_merge(T2_BASE, T2_OBJECTIVES["wgan-gp"])
TASKS["accumulate"] = {"t2-wgan-gp-batch64": T2_WGAN_GP,
                       "t2-wgan-gp-16x4": deep_merge(T2_WGAN_GP, {"train": {"accumulate": 4}})}
HEADLINE["accumulate"] = "digits/fd"

# T3 (docs/benchmarks.md section 8): energy models, MEG, and refinement of a trained GAN by `gankit refine`.
# REFINE names the entries whose trained run is refined after training (the same eval z); their records keep
# the metrics before ("final") and after ("refined"), with the sampler settings.
TASKS["t3-ring"] = {n: load_preset(n) for n in ("ring8-ebm", "ring8-meg")}
TASKS["t3-grid"] = {f"grid25-{n}": on_grid(f"ring8-{n}") for n in ("ebm", "meg")}
TASKS["t3-digits"] = {n: deep_merge(load_preset(n), T2_EVAL) for n in ("digits-ebm", "digits-meg")}
TASKS["t3-refine-ring"] = {"ring8-wgan-gp": deep_merge(load_preset("ring8-wgan-gp"), {"train": {"steps": 1000}})}
TASKS["t3-refine-digits"] = {"t2-wgan-gp": deep_merge(T2_WGAN_GP, {"train": {"steps": 3000}})}
HEADLINE.update({"t3-ring": "toy/hq", "t3-grid": "toy/hq", "t3-digits": "digits/fd", "t3-refine-ring": "toy/hq",
                 "t3-refine-digits": "digits/fd"})
REFINE = {("t3-refine-ring", "ring8-wgan-gp"): {"sampler": "langevin", "steps": 50, "step_size": 0.01, "beta": 5.0},
          ("t3-refine-digits", "t2-wgan-gp"): {"sampler": "langevin", "steps": 20, "step_size": 0.01, "beta": 1.0}}

# issue 26: the EDM diffusion teacher (35 NFE Heun) beside the GANs of T1-ring and T2
TASKS["t1-ring"]["ring8-edm"] = load_preset("ring8-edm")
TASKS["t2"]["digits-edm"] = deep_merge(load_preset("digits-edm"), T2_EVAL)
# the SiD students at 1 NFE, each distilling the edm run of its own seed (bench the teacher first: --workers 1 keeps
# the order, the teacher entry comes first in each seed)
TASKS["t1-ring"]["ring8-sid"] = load_preset("ring8-sid")
TASKS["t2"]["digits-sid"] = deep_merge(load_preset("digits-sid"), T2_EVAL)
TEACHERS.update({("t1-ring", "ring8-sid"): ("t1-ring", "ring8-edm"), ("t2", "digits-sid"): ("t2", "digits-edm")})
# issue 26: Deep InfoMax's codes, their k-NN on the held-out digits in t2's knn column beside the VAE's, ALI's,
# BiGAN-QP's and O-GAN's (it draws no samples, so its other cells stay empty)
TASKS["t2"]["digits-infomax"] = deep_merge(load_preset("digits-infomax"), T2_EVAL)
# and on the ring, its 2-D codes by the 5-NN accuracy of the mode index (encoder/knn; chance 1/8), no samples
TASKS["t1-ring"]["ring8-infomax"] = load_preset("ring8-infomax")

# issue 26: the teachers evaluated again after training at 1, 2 and 4 Heun steps (1, 3 and 7 NFE) in the same record,
# shown as rows "ENTRY @ N steps (M NFE)"; NFE_FIGURES: the metric drawn against NFE per task (TASK-nfe.png), the
# students of TEACHERS at their own NFE beside the teacher
STEP_SWEEPS: dict[tuple[str, str], tuple[int, ...]] = {("t1-ring", "ring8-edm"): (1, 2, 4), ("t2", "digits-edm"): (1, 2, 4)}
NFE_FIGURES = {"t2": "digits/fd", "t1-ring": "toy/hq"}

# issue 25: T3 (docs/benchmarks.md section 10), every family on the 32x32 RGB emoji, trained on `emoji` (both vendors).
# Training-time curves are SWD on 2,000 samples (the presets' log.eval_samples); the final evaluation adds the
# Inception features on the same 2,000 samples (FINAL_FEATURES), and the emoji category accuracy of conditional runs.
T3_FAMILIES = ("dcgan", "cgan", "vae", "sngan-resnet", "sngan-resnet-diffaugment", "vq-vae", "ebm", "ign", "dae",
               "bigan-qp")
TASKS["t3"] = {f"emoji-{n}": load_preset(f"emoji-{n}") for n in T3_FAMILIES}
HEADLINE["t3"] = "swd/avg"
FINAL_FEATURES = {"t3": "inception"}  # task -> the feature network of its final evaluation, beside the dataset's metrics
# the GAN recipes with adaptive discriminator augmentation (docs/algorithms.md section 24) at the paper's target 0.6
T3_ADA = {"ada": {"target": 0.6}}
TASKS["t3"].update({f"emoji-{n}-ada": deep_merge(load_preset(f"emoji-{n}"), T3_ADA) for n in ("dcgan", "sngan-resnet", "cgan")})

# issue 25: small data (docs/benchmarks.md section 10), the DCGAN recipe on a fixed 1,000 of the emoji (data.subset;
# scored against all of them) and on all of them, each plain, with ADA and with DiffAugment. The all-image plain
# and ADA rows are t3's entries of those names (SHARED_ENTRIES). Same steps as t3, so 1,000 images are seen 768
# times each. The records keep the critic's sign curves (r_t, p) for TASK-curves.png.
T3_SMALL = {"data": {"subset": 1000}}
T3_DIFFAUGMENT = {"augment": "color,translation,cutout"}  # Zhao et al. 2020's policy for their low-data runs
TASKS["t3-small"] = {
    "emoji-dcgan-1k": deep_merge(load_preset("emoji-dcgan"), T3_SMALL),
    "emoji-dcgan-ada-1k": deep_merge(deep_merge(load_preset("emoji-dcgan"), T3_SMALL), T3_ADA),
    "emoji-dcgan-diffaugment-1k": deep_merge(deep_merge(load_preset("emoji-dcgan"), T3_SMALL), T3_DIFFAUGMENT),
    "emoji-dcgan-diffaugment": deep_merge(load_preset("emoji-dcgan"), T3_DIFFAUGMENT),
    # 200 images (each seen 3,840 times): where the critic on 1,000 stayed below ADA's target (r_t 0.4 at the end)
    "emoji-dcgan-200": deep_merge(load_preset("emoji-dcgan"), {"data": {"subset": 200}}),
    "emoji-dcgan-ada-200": deep_merge(deep_merge(load_preset("emoji-dcgan"), {"data": {"subset": 200}}), T3_ADA),
}
# rows a task's table and plots show from another task's records, the same configs run once: task -> (source, entries)
SHARED_ENTRIES = {"t3-small": ("t3", ("emoji-dcgan", "emoji-dcgan-ada"))}
HEADLINE["t3-small"] = "swd/avg"
FINAL_FEATURES["t3-small"] = "inception"
