"""metrics.jsonl: one JSON object per line, appended and flushed as training goes."""
from __future__ import annotations

import json
from pathlib import Path

from .checkpoint import write_atomic


class MetricsLog:
    def __init__(self, path: Path):
        self.path = Path(path)

    def write(self, record: dict) -> None:
        with open(self.path, "a") as f:
            f.write(json.dumps(record) + "\n")

    def read(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]

    def truncate_after(self, step: int) -> None:
        """Drops records past `step`, so a resumed run logs them once, as a run never stopped would."""
        kept = [r for r in self.read() if r.get("step", 0) <= step]
        text = "".join(json.dumps(r) + "\n" for r in kept)
        write_atomic(self.path, lambda tmp: Path(tmp).write_text(text))
