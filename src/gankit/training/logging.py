"""metrics.jsonl: one JSON object per line, appended and flushed as training goes; the record of a run.
Sinks (TensorBoard) get a copy of every record and every sample picture."""
from __future__ import annotations

import json
import math
from pathlib import Path

import torch

from ..files import write_atomic


def strict_json(value):
    """value with NaN and inf (at any depth) as the strings "nan", "inf", "-inf"."""
    if isinstance(value, dict):
        return {k: strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


class MetricsLog:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.sinks: list = []  # objects with scalars(record) and image(tag, png_path, step), e.g. TensorBoard's

    def write(self, record: dict) -> None:
        """Appends one record; a non-finite number (a NaN metric, a rollback's NaN loss) is written as a string,
        so the file stays strict JSON for jq and JavaScript."""
        with open(self.path, "a") as f:
            f.write(json.dumps(strict_json(record)) + "\n")
        for sink in self.sinks:
            sink.scalars(record)

    def image(self, tag: str, png: Path, step: int) -> None:
        """A picture the run wrote (sample grid, 2-D plot), passed on to the sinks."""
        for sink in self.sinks:
            sink.image(tag, png, step)

    def rewind(self, step: int) -> None:
        """Training went back to `step` (a divergence rollback): sinks that can drop what followed do."""
        for sink in self.sinks:  # every sink has rewind (TensorBoardSink reopens its writer there)
            sink.rewind(step)

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()
        self.sinks = []

    def read(self) -> list[dict]:
        """The records; a last line cut short by a crash mid-append is dropped, not fatal."""
        if not self.path.exists():
            return []
        lines = [line for line in self.path.read_text().splitlines() if line.strip()]
        records = []
        for i, line in enumerate(lines):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                if i != len(lines) - 1:
                    raise
        return records

    def truncate_after(self, step: int) -> None:
        """Drops records past `step`, so a resumed run logs them once, as a run never stopped would."""
        kept = [r for r in self.read() if r.get("step", 0) <= step]
        text = "".join(json.dumps(r) + "\n" for r in kept)
        write_atomic(self.path, lambda tmp: Path(tmp).write_text(text))


class LossMeter:
    """Sums of each loss since the last loss line; `take_means` returns their means and starts again."""

    def __init__(self):
        self.sums: dict[str, torch.Tensor] = {}
        self.counts: dict[str, int] = {}

    def __bool__(self) -> bool:
        return bool(self.counts)

    def add(self, name: str, value: torch.Tensor) -> None:
        self.add_all({name: value})

    @torch.no_grad()
    def add_all(self, values: dict[str, torch.Tensor]) -> None:
        """Adds each value to its sum: the running sums in one fused in-place add (an add per loss would cost a
        small network's phase more than its loss read), a name's first value as 0.0 + value (its dtype kept)."""
        running = [name for name in values if name in self.sums]
        if running:
            torch._foreach_add_([self.sums[name] for name in running], [values[name] for name in running])
        for name, value in values.items():
            if name not in self.sums:
                self.sums[name] = 0.0 + value
            self.counts[name] = self.counts.get(name, 0) + 1

    def take_means(self) -> dict[str, torch.Tensor]:
        means = {k: v / self.counts[k] for k, v in self.sums.items()}
        self.sums, self.counts = {}, {}
        return means
