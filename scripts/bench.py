"""Run notebooks in the book profile; print results and run times; fail on a miss.

    python scripts/bench.py [NOTEBOOK_OR_FOLDER ...]   (default: every chapter)

Each notebook runs in a fresh kernel, one after another, so times are not
disturbed by each other. CPU seconds (user + system of the kernel) are shown
beside wall seconds: on a busy machine they tell what the notebook costs.
Time limits come from ``time_limits.yml`` (default 3 minutes; a few notebooks
are allowed more). A notebook that fails, times out or kills its kernel is
reported as failed and the run goes on. Writes ``_build/bench/report.md`` and
each executed notebook under ``_build/bench/executed/``.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import yaml
from nbclient import NotebookClient
from notebook_paths import notebooks

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "_build" / "bench"
LIMITS = ROOT / "time_limits.yml"


def time_limit(path: Path) -> int:
    """The notebook's budget in seconds from ``time_limits.yml``."""
    table = yaml.safe_load(LIMITS.read_text())
    return int(table["notebooks"].get(str(path.relative_to(ROOT)), table["default_s"]))



def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    limit = time_limit(path)
    os.environ["DLARCH_NOTEBOOK"] = str(path.relative_to(ROOT))
    # A cell may run up to 5x the notebook's budget before it is stopped as hung.
    client = NotebookClient(nb, timeout=5 * limit, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    cpu, start, error = children_cpu(), time.perf_counter(), ""
    try:
        client.execute(stderr=subprocess.DEVNULL)  # TensorFlow's C++ start-up logs
    except Exception as err:  # a failing cell, a timeout or a dead kernel: report, go on
        lines = str(err).strip().splitlines() or [type(err).__name__]
        error = f"{type(err).__name__}: {lines[-1]}"[:200]
    wall = time.perf_counter() - start
    executed = OUT / "executed" / path.relative_to(ROOT / "chapters")
    executed.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, executed)  # read the printed verdicts here; never committed
    status = "failed" if error else ("slow" if wall > limit else "ok")
    return {"notebook": str(path.relative_to(ROOT)), "status": status, "wall_s": round(wall, 1),
            "cpu_s": round(children_cpu() - cpu, 1), "limit_s": limit, "error": error}


def main(argv) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    results = OUT / f"results-{os.getpid()}.jsonl"  # one file per run: runs may overlap
    results.unlink(missing_ok=True)
    os.environ.update(DLARCH_PROFILE="book", DLARCH_RESULTS=str(results))
    rows = []
    for path in notebooks(argv, command="bench"):
        print(f"bench: {path.relative_to(ROOT)} ...", flush=True)
        rows.append(run(path))
        print(f"       {rows[-1]['status']} in {rows[-1]['wall_s']} s "
              f"({rows[-1]['cpu_s']} s CPU) {rows[-1]['error']}", flush=True)

    sys.path.insert(0, str(ROOT / "lib"))
    from dlarch.training import read_results

    times = pd.DataFrame(rows)
    recorded = read_results(results)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", 60)
    print("\nRun times (book profile)\n" + times.drop(columns="error").to_string(index=False))
    if not recorded.empty:
        shown = recorded[["name", "value", "target", "higher_is_better", "source", "ok", "notebook"]]
        print("\nRecorded results\n" + shown.to_string(index=False))
    report = ["# Benchmark (book profile)", "", times.to_markdown(index=False), "",
              recorded.to_markdown(index=False) if not recorded.empty else "(no results recorded)"]
    (OUT / "report.md").write_text("\n".join(report) + "\n")

    missed = recorded[~recorded["ok"].astype(bool)] if not recorded.empty else recorded
    bad = times[times["status"] != "ok"]
    if len(bad) or len(missed):
        print(f"\nbench: {len(bad)} notebook(s) failed or too slow, {len(missed)} target(s) missed")
        return 1
    print(f"\nbench: {len(times)} notebook(s) within time, every target met")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
