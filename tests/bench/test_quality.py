"""The quality benchmark's pipeline on a tiny task: per-run JSON, the summary table, the plot."""
import json

from gankit.bench import quality, tasks

from ..conftest import TINY_TOY


def test_run_summarise_report(tmp_path, monkeypatch):
    tiny = {**TINY_TOY, "log": {**TINY_TOY["log"], "eval_every": 3, "checkpoint_every": 6}}
    monkeypatch.setitem(tasks.TASKS, "tiny", {"a": tiny, "b": {**tiny, "objective": {"name": "ns"}}})
    monkeypatch.setitem(tasks.HEADLINE, "tiny", "toy/hq")
    records = [quality.run_one(("tiny", entry, seed, str(tmp_path))) for entry in "ab" for seed in (0, 1)]
    saved = json.loads((tmp_path / "tiny" / "a-s1.json").read_text())
    assert saved["seed"] == 1 and [h["step"] for h in saved["history"]] == [3, 6]
    assert sorted((r["entry"], r["seed"]) for r in quality.load_records(tmp_path)) == [
        ("a", 0), ("a", 1), ("b", 0), ("b", 1)]
    summary = quality.summarise(records)
    mean, std, n = summary["tiny"]["a"]["toy/modes"]
    finals = [r["final"]["toy/modes"] for r in records if r["entry"] == "a"]
    assert mean == sum(finals) / 2 and std >= 0 and n == 2
    table = quality.markdown(summary)
    assert "| a | 2 |" in table and "| b | 2 |" in table and "reverse_kl" in table
    # a second bench skips what is recorded: only seed 2 is left, only of the entries asked for
    assert quality.pending_jobs(["tiny"], 3, tmp_path) == [("tiny", "a", 2, str(tmp_path)), ("tiny", "b", 2, str(tmp_path))]
    assert quality.pending_jobs(["tiny"], 3, tmp_path, entries=["b"]) == [("tiny", "b", 2, str(tmp_path))]
    assert [(e, s) for _, e, s, _ in quality.pending_jobs(["tiny"], 2, tmp_path, rerun=True)] == [
        ("a", 0), ("b", 0), ("a", 1), ("b", 1)]  # seed-major: a stopped bench has every entry's first seed
    path, curves = quality.plot(records, tmp_path)
    assert path.name == "tiny.png" and path.stat().st_size > 1000
    # the ns entry's critic reports r_t = E[sign D(x_real)] in its loss lines: kept per record and drawn
    signs = [c["d_real_sign"] for r in records if r["entry"] == "b" for c in r["curves"]]
    assert signs and all(-1.0 <= v <= 1.0 for v in signs) and curves.name == "tiny-curves.png"
    readme = tmp_path / "README.md"
    readme.write_text("top\n<!-- bench quality: begin -->\nold\n<!-- bench quality: end -->\nbottom\n")
    quality.write_readme_section(readme, table, "gankit bench quality --tasks tiny")
    text = readme.read_text()
    assert "old" not in text and "| a |" in text and text.startswith("top") and text.endswith("bottom\n")


def test_a_task_with_its_own_readme_markers_gets_its_table_there(tmp_path):
    summary = {"t2": {"x": {"digits/fd": (2.0, 0.1, 3), "seconds": (5.0, 1.0, 3)}},
               "t3": {"y": {"swd/avg": (40.0, 0.0, 1), "inception/fd": (80.0, 0.0, 1), "seconds": (9.0, 0.0, 1),
                            "eval seconds": (3.0, 0.0, 1)}}}
    readme = tmp_path / "README.md"
    readme.write_text("<!-- bench quality: begin -->\nold\n<!-- bench quality: end -->\nladder\n"
                      "<!-- bench quality t3: begin -->\nold t3\n<!-- bench quality t3: end -->\nend\n")
    quality.write_readme(readme, summary, lambda tasks: f"gankit bench quality --tasks {','.join(tasks)}")
    general, t3 = readme.read_text().split("ladder")
    assert "--tasks t2`" in general and "| x | 3 |" in general and "| y |" not in general
    assert "--tasks t3`" in t3 and "| y | 1 |" in t3 and "| x |" not in t3 and "old" not in t3
    header = next(line for line in t3.splitlines() if line.startswith("| entry"))
    assert header == "| entry | seeds | swd avg | fd | seconds | eval seconds |"  # times last


def test_records_of_a_final_feature_evaluation_keep_their_n_and_names_stay_out_of_the_means():
    """A record's network dtype (a name) is not averaged, a task without a final evaluation gets no 'eval seconds',
    and seeds of one entry scored at different n are refused rather than averaged."""
    def record(seed, n, **extra):
        return {"task": "t3", "entry": "e", "seed": seed, "seconds": 1.0, "final_samples": n, "seconds_final_eval": 2.0,
                "final": {"inception/fd": 80.0 + seed, "inception/network_dtype": "fp32"}, **extra}

    summary = quality.summarise([record(0, 600), record(1, 600)])
    assert summary["t3"]["e"]["inception/fd"][0] == 80.5 and "inception/network_dtype" not in summary["t3"]["e"]
    assert summary["t3"]["e"]["eval seconds"][0] == 2.0
    plain = {"task": "t2", "entry": "x", "seed": 0, "seconds": 1.0, "final": {"digits/fd": 3.0}}
    assert "eval seconds" not in quality.summarise([plain])["t2"]["x"]
    import pytest

    from gankit.errors import ConfigError
    with pytest.raises(ConfigError, match="t3/e has seeds scored at 600 and at 2000 final samples"):
        quality.summarise([record(0, 600), record(1, 2000)])


def test_a_task_shows_the_entries_it_shares_from_another_tasks_records(tmp_path, monkeypatch):
    """t3-small's all-image rows are t3's runs: reported in both tables, trained once."""
    for entry in ("a", "b"):
        (tmp_path / "src").mkdir(exist_ok=True)
        record = {"task": "src", "entry": entry, "seed": 0, "seconds": 1.0, "final": {"m": 1.0}, "history": []}
        (tmp_path / "src" / f"{entry}-s0.json").write_text(json.dumps(record))
    monkeypatch.setitem(tasks.TASKS, "small", {"c": {}})
    monkeypatch.setitem(quality.SHARED_ENTRIES, "small", ("src", ("a",)))
    records = quality.load_records(tmp_path)
    assert sorted((r["task"], r["entry"]) for r in records) == [("small", "a"), ("src", "a"), ("src", "b")]
    assert quality.pending_jobs(["small"], 1, tmp_path) == [("small", "c", 0, str(tmp_path))]  # never trained twice
    assert set(quality.summarise(records)["small"]) == {"a"}
