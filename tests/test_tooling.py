"""Maintainer tooling: the check build's configuration and the bench's time limits."""

import importlib.util
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))  # the scripts import their shared notebook_paths


def load_script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


LIMITS = yaml.safe_load((ROOT / "time_limits.yml").read_text())


def test_check_config_executes_only_intro_and_chapter_01_whatever_the_chapters():
    site = load_script("check_site_config")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    chapters = ["00-intro", "01-neurons", "02-cnn", "20-future"]
    out = site.check_config(config, chapters, LIMITS)
    assert out["execute"]["execute_notebooks"] == "force"
    assert out["execute"]["exclude_patterns"] == ["chapters/02-cnn/*.ipynb",
                                                  "chapters/20-future/*.ipynb"]
    assert "mystnb.glue" in out["sphinx"]["config"]["suppress_warnings"]
    assert out["execute"]["timeout"] >= LIMITS["default_s"]


def test_check_config_fails_loudly_on_a_missing_key():
    site = load_script("check_site_config")
    with pytest.raises(SystemExit, match="no key 'execute'"):
        site.check_config({"sphinx": {"config": {}}}, ["00-intro"], LIMITS)


def test_bench_fails_on_a_missed_target_and_reports_a_refuted_claim_as_a_finding():
    import pandas as pd

    verdict = load_script("bench").verdict
    times = pd.DataFrame({"status": ["ok", "ok"]})
    met = pd.DataFrame({"ok": [True, True]})
    refuted = pd.DataFrame({"ok": [True, False]})
    code, summary = verdict(times, met, refuted)
    assert code == 0 and summary.endswith("every target met; 1 of 2 claim(s) tested did not hold")
    code, summary = verdict(times, refuted, met)
    assert code == 1 and "1 target(s) missed" in summary
    code, _ = verdict(pd.DataFrame({"status": ["ok", "slow"]}), met, met)
    assert code == 1
    assert verdict(times, met, pd.DataFrame({"ok": []}))[1].endswith("every target met")


def test_time_limits_name_existing_notebooks_and_bench_reads_them():
    bench = load_script("bench")
    for name, seconds in LIMITS["notebooks"].items():
        assert (ROOT / name).exists(), f"time_limits.yml names a missing notebook {name}"
        assert bench.time_limit(ROOT / name) == seconds
    assert bench.time_limit(ROOT / "chapters/00-intro/01-what-is-deep-learning.ipynb") == \
        LIMITS["default_s"]


def test_strip_keeps_exactly_the_outputs_of_marked_cells():
    import nbformat
    outputs = load_script("notebook_outputs")
    printed = nbformat.v4.new_output("stream", name="stdout", text="42\n")
    marked = nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(42)", execution_count=3, outputs=[printed])
    plain = nbformat.v4.new_code_cell("print(42)", execution_count=4, outputs=[printed])
    nb = nbformat.v4.new_notebook(cells=[marked, plain])
    outputs.strip(nb)
    assert [c.execution_count for c in nb.cells] == [1, None]  # nbval compares only cells that ran
    assert nb.cells[0].outputs == [printed] and nb.cells[1].outputs == []


def test_refresh_treats_stderr_in_a_marked_cell_as_unstable():
    import nbformat
    outputs = load_script("notebook_outputs")
    assert outputs.writes_stderr([nbformat.v4.new_output("stream", name="stderr", text="warning")])
    assert not outputs.writes_stderr([nbformat.v4.new_output("stream", name="stdout", text="42")])


def test_maintenance_commands_refuse_a_path_that_is_not_a_notebook(tmp_path):
    paths = load_script("notebook_paths")
    assert paths.notebooks([ROOT / "chapters/00-intro"], command="x")[0].suffix == ".ipynb"
    with pytest.raises(SystemExit, match="bench: .* is neither a notebook nor a folder"):
        paths.notebooks([tmp_path / "missing.txt"], command="bench")


def test_stored_outputs_join_a_stream_split_by_flushing():
    import nbformat
    outputs = load_script("notebook_outputs")
    parts = [nbformat.v4.new_output("stream", name="stdout", text=t) for t in ("a\n", "b\n")]
    assert [o["text"] for o in outputs.kept(parts)] == ["a\nb\n"]
