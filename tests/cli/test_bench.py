"""`gankit bench quality | speed | threads`: subcommands with their own options, help and errors."""
import pytest

from gankit import cli

QUALITY = ("--tasks", "--seeds", "--workers", "--out", "--entries", "--rerun", "--final-samples", "--report-only",
           "--readme")
SPEED = ("--repeats", "--iterations", "--threads", "--presets", "--ttq-presets", "--ttq-threshold",
         "--ttq-eval-every", "--ttq-max-steps", "--roofline-presets", "--roofline-repeats", "--inception-images",
         "--roofline-only", "--out", "--t3-ttq", "--presets-only")
THREADS = ("--repeats", "--iterations")
GALLERY = ("--tasks", "--out", "--seed", "--figures")


def outcome(capsys, *argv):
    try:
        code = cli.main(["bench", *argv])
    except SystemExit as stop:
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("suite, own", [("quality", QUALITY), ("speed", SPEED), ("threads", THREADS),
                                              ("gallery", GALLERY)])
def test_each_bench_help_lists_its_own_options_only(capsys, suite, own):
    code, out, _ = outcome(capsys, suite, "--help")
    assert code == 0 and out.startswith(f"usage: gankit bench {suite}")
    listed = {word.rstrip(",") for word in out.split() if word.startswith("--") and word != "--help"}
    assert listed == set(own)
    assert not any(f"{name}:" in out for name in ("quality", "speed", "threads", "gallery"))  # no prefixes saying whose it is


def test_bench_help_lists_the_subcommands(capsys):
    code, out, _ = outcome(capsys, "--help")
    assert code == 0 and all(suite in out for suite in ("quality", "speed", "threads", "gallery")) and "--seeds" not in out


@pytest.mark.parametrize("argv, line", [
    (["quality", "--seeds", "0"], "gankit bench quality: error: argument --seeds: expected a number >= 1, got 0"),
    (["speed", "--seeds", "3"], "gankit bench speed: error: unrecognized arguments: --seeds 3"),
    (["threads", "--presets", "none"], "gankit bench threads: error: unrecognized arguments: --presets none"),
    (["speed", "--repeats", "0"], "gankit bench speed: error: argument --repeats: expected a number >= 1, got 0"),
    (["speed", "--roofline-only", "--t3-ttq"], "--t3-ttq races after the iteration ratios, which --roofline-only skips"),
    (["speed", "--presets", "none", "--presets-only"], "--presets-only times the --presets against the plain loop; "
                                                        "with --presets none it would time nothing"),
    (["speed", "--roofline-only", "--presets-only"], "with --roofline-only it would time nothing"),
    (["speed", "--roofline-presets", "digits-sngn"], "did you mean 'digits-sngan'?"),
    (["speed", "--roofline-only", "--out", "/nonexistent-folder/r.json"],
     "gankit: error: bench speed --out /nonexistent-folder/r.json: folder /nonexistent-folder does not exist"),
    (["quality", "--tasks", "t9"], "gankit: error: bench quality --tasks: unknown task 't9'"),
    (["quality", "--tasks", "t2", "--entries", "digits-sngn"], "did you mean 'digits-sngan'?"),
    ([], "gankit bench: error: the following arguments are required: SUITE"),
])
def test_bench_mistakes_name_the_subcommand(capsys, argv, line):
    code, _, err = outcome(capsys, *argv)
    assert code == 2 and line in err and err.count("\n") == 1


def test_missing_emoji_data_stops_bench_speed_before_anything_is_timed(tmp_path, capsys, monkeypatch):
    import gankit.bench.roofline as roofline

    monkeypatch.setenv("GANKIT_DATA", str(tmp_path))  # an empty data folder: no emoji ZIP in it
    monkeypatch.setattr(roofline, "run_roofline", lambda *a: pytest.fail("timed before refusing the missing data"))
    code, _, err = outcome(capsys, "speed", "--roofline-presets", "ring8-wgan-gp", "--presets", "ring8-wgan-gp",
                           "--t3-ttq")
    assert code == 2 and "dataset emoji: no " in err and "make emoji" in err and err.count("\n") == 1


def test_the_readme_is_checked_before_the_bench_trains(tmp_path, capsys, monkeypatch):
    import gankit.bench.quality as quality

    monkeypatch.setattr(quality, "run_quality", lambda *a, **k: pytest.fail("trained before refusing --readme"))
    readme = tmp_path / "README.md"
    readme.write_text("no markers here\n")
    code, _, err = outcome(capsys, "quality", "--tasks", "t2", "--out", str(tmp_path / "r"), "--readme", str(readme))
    assert code == 2 and "bench quality --readme" in err and "<!-- bench quality: begin -->" in err
    code, _, err = outcome(capsys, "quality", "--readme", str(tmp_path / "missing.md"))
    assert code == 2 and "cannot read it" in err


def stand_in_roofline(monkeypatch, calls: list) -> None:
    import gankit.bench.roofline as roofline
    import gankit.cli.bench as cli_bench

    monkeypatch.setattr(cli_bench, "open_datasets", lambda presets: None)  # the suite runs without `make emoji`
    from gankit.bench.flops import Peak

    peak = Peak(fp32=40.0, bf16=80.0, threads=1, cpu="Test CPU")
    rows = [roofline.Row("digits-wgan-gp", "iteration", "fp32", 0.01, 2e8),
            roofline.Row("Inception-v3 features", "image", note=roofline.NOT_INSTALLED)]
    monkeypatch.setattr(roofline, "run_roofline", lambda *a: calls.append(("roofline", a)) or (peak, rows))


def test_the_readme_invocations_reach_their_benches_with_their_defaults(capsys, monkeypatch, tmp_path):
    import gankit.bench.speed as speed
    import gankit.bench.threads as threads

    calls = []
    stand_in_roofline(monkeypatch, calls)
    monkeypatch.setattr(threads, "run_threads", lambda *a: calls.append(("threads", a)) or {})
    monkeypatch.setattr(threads, "print_threads", lambda rows: None)
    monkeypatch.setattr(speed, "run_speed", lambda *a: calls.append(("speed", a)) or {})
    monkeypatch.setattr(speed, "print_speed", lambda rows: None)
    assert outcome(capsys, "threads")[0] == 0
    assert outcome(capsys, "threads", "--repeats", "2", "--iterations", "5")[0] == 0
    assert outcome(capsys, "speed", "--ttq-presets", "none")[0] == 0
    assert outcome(capsys, "speed", "--roofline-only")[0] == 0
    assert outcome(capsys, "speed", "--ttq-presets", "none", "--presets", "ring8-wgan-gp", "--presets-only")[0] == 0
    roofline_defaults = ("roofline", (("ring8-wgan-gp", "digits-wgan-gp", "digits-sngan", "emoji-dcgan", "emoji-cgan"), 5, 20, 1, 64))
    assert calls == [("threads", (3, 10)), ("threads", (2, 5)), roofline_defaults,
                     ("speed", (15, 20, 1, ("ring8-wgan-gp", "digits-wgan-gp", "emoji-dcgan"), True)), roofline_defaults,
                     roofline_defaults, ("speed", (15, 20, 1, ("ring8-wgan-gp",), False))]


def test_the_roofline_prints_its_table_and_writes_its_json(capsys, monkeypatch, tmp_path):
    import json

    import gankit.bench.speed as speed

    calls = []
    stand_in_roofline(monkeypatch, calls)
    monkeypatch.setattr(speed, "run_speed", lambda *a: pytest.fail("--roofline-only ran the ratios"))
    out = tmp_path / "speed.json"
    code, text, _ = outcome(capsys, "speed", "--roofline-only", "--roofline-presets", "digits-wgan-gp", "--threads",
                            "2", "--out", str(out))
    assert code == 0 and calls == [("roofline", (("digits-wgan-gp",), 5, 20, 2, 64))]
    assert "| digits-wgan-gp | fp32 | 10.00 ms/iter | 0.2 | 20.00 | 50.0% of fp32 |" in text
    assert "| Inception-v3 features | - | weights not installed |" in text and f"wrote {out}" in text
    record = json.loads(out.read_text())
    assert set(record) == {"roofline"} and record["roofline"]["peak"]["cpu"] == "Test CPU"
    assert record["roofline"]["rows"][0]["fraction_of_peak"] == {"fp32": 0.5}


def test_the_json_holds_the_ratios_when_they_run(capsys, monkeypatch, tmp_path):
    import json

    import gankit.bench.speed as speed

    stand_in_roofline(monkeypatch, [])
    monkeypatch.setattr(speed, "run_speed", lambda *a: {"ring8-wgan-gp: gankit / plain loop": 0.93})
    out = tmp_path / "speed.json"
    code, text, _ = outcome(capsys, "speed", "--ttq-presets", "none", "--out", str(out))
    assert code == 0 and "ring8-wgan-gp: gankit / plain loop" in text
    record = json.loads(out.read_text())
    assert record["ratios"] == {"ring8-wgan-gp: gankit / plain loop": 0.93} and "rows" in record["roofline"]
