"""`gankit list`: the names the config and the CLI accept."""
from __future__ import annotations

import argparse



def cmd_list(args: argparse.Namespace) -> int:
    from ..data import dataset_names
    from ..metrics import METRICS
    from ..objectives import CONSTRAINTS, OBJECTIVES, PENALTIES, ROLE_REGISTRIES
    from ..presets import DEFAULT, preset_names, preset_summary
    from ..training.gradients import GRADIENT_TRANSFORMS
    from ..samplers import DIFFUSION_SAMPLERS, SAMPLERS
    from ..training.schedule import SCHEDULES
    from ..nn.quantizers import QUANTIZERS

    from ..recipes import recipe_names, recipe_summary

    presets = [f"{n}  - recipe for any data (set data.name): {recipe_summary(n)}" for n in recipe_names()]
    presets += [f"{n}  - benchmark preset: {preset_summary(n)}{' (default)' if n == DEFAULT else ''}"
                for n in preset_names()]
    kinds = {role: registry for role, (registry, _) in ROLE_REGISTRIES.items() if role != "gaussian-encoder"}
    names = sorted(set().union(*(r.names() for r in kinds.values())))
    networks = [f"{n}  ({', '.join(k for k, r in kinds.items() if n in r.names())})" for n in names]
    objectives = [f"{n}  (networks: {', '.join(f'{k} {s.role}' for k, s in OBJECTIVES.get(n).networks.items())})"
                  for n in OBJECTIVES.names()]
    tables = {"datasets": dataset_names(), "networks": networks, "objectives": objectives,
              "penalties": PENALTIES.names(), "constraints": CONSTRAINTS.names(),
              "schedules": SCHEDULES.names(), "gradient-transforms": GRADIENT_TRANSFORMS.names(),
              "samplers": SAMPLERS.names() + DIFFUSION_SAMPLERS.names(), "metrics": METRICS.names(),
              "quantizers": QUANTIZERS.names(),
              "presets": presets}
    for kind in [args.kind] if args.kind else tables:
        print(f"{kind}:")
        for name in tables[kind]:
            print(f"  {name}")
    return 0


def add_parser(sub) -> None:
    ls = sub.add_parser("list", help="list datasets, networks, objectives, penalties, presets, ...",
                        description="List the names the config and the CLI accept.")
    ls.add_argument("kind", nargs="?", choices=["datasets", "networks", "objectives", "penalties", "constraints",
                                                "schedules", "gradient-transforms", "samplers", "metrics", "quantizers",
                                                "presets"],
                    help="one table only (networks: by the role an objective declares them in; objectives: with "
                         "the networks they declare, the names model.<name> and optim.<name> take)")
    ls.set_defaults(func=cmd_list)
