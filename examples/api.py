"""gankit from Python: train, sample, evaluate, load again.   python examples/api.py [OUT_DIR] [STEPS]"""
import sys

import gankit

out_dir = sys.argv[1] if len(sys.argv) > 1 else "runs"
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 2000

# a preset (or a YAML file, a dict, a gankit.Config) and overrides: top-level fields or dotted paths
run = gankit.train("ring8-wgan-gp", out_dir=out_dir, seed=1, train={"steps": steps, "threads": 1},
                   **{"log.progress": False})
print(f"trained {run.step} steps into {run.run_dir}")  # config.yaml, metrics.jsonl, samples/, checkpoints/

x = run.sample(1000, seed=0)        # [1000, 2] from the EMA copy of G
print("samples:", tuple(x.shape))
print("metrics:", {k: round(v, 3) for k, v in run.evaluate().items()})  # modes, high-quality share, reverse KL

again = gankit.load(run.run_dir)    # later, from the newest checkpoint alone
assert (again.sample(10, seed=0) == run.sample(10, seed=0)).all()
losses = [r for r in again.metrics() if "D/total" in r]  # metrics.jsonl, one record per log_every steps
print(f"last D loss {losses[-1]['D/total']:.3f} at step {losses[-1]['step']}")
