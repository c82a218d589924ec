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
