"""Run notebooks in the book profile; print results and run times; fail on a missed target.

    python scripts/bench.py [NOTEBOOK_OR_FOLDER ...]   (default: every chapter)

Each notebook runs in a fresh kernel, one after another, so times are not
disturbed by each other. CPU seconds (user + system of the kernel) are shown
beside wall seconds: on a busy machine they tell what the notebook costs.
Time limits come from ``time_limits.yml`` (default 3 minutes; a few notebooks
are allowed more). A notebook that fails, times out or kills its kernel is
reported as failed and the run goes on. Recorded targets must be met; claims
under test (``record(..., claim=True)``) are listed apart, and one that did
not hold is a finding the notebook reports, not a failure. Writes ``_build/bench/report.md`` and
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
    columns = ["name", "value", "target", "higher_is_better", "source", "ok", "notebook"]
    targets = recorded[~recorded["claim"]] if not recorded.empty else recorded
    claims = recorded[recorded["claim"]] if not recorded.empty else recorded
    report = ["# Benchmark (book profile)", "", times.to_markdown(index=False)]
    for title, part in (("Targets", targets), ("Claims tested (findings either way)", claims)):
        if not part.empty:
            print(f"\n{title}\n" + part[columns].to_string(index=False))
            report += ["", f"## {title}", "", part[columns].to_markdown(index=False)]
    (OUT / "report.md").write_text("\n".join(report) + "\n")

    code, summary = verdict(times, targets, claims)
    print(f"\nbench: {summary}")
    return code


def verdict(times: pd.DataFrame, targets: pd.DataFrame, claims: pd.DataFrame) -> tuple[int, str]:
    """Exit code and summary: 1 if a notebook failed, ran too slow or missed a target."""
    missed = int((~targets["ok"].astype(bool)).sum()) if len(targets) else 0
    refuted = int((~claims["ok"].astype(bool)).sum()) if len(claims) else 0
    findings = f"; {refuted} of {len(claims)} claim(s) tested did not hold" if len(claims) else ""
    bad = int((times["status"] != "ok").sum())
    if bad or missed:
        return 1, f"{bad} notebook(s) failed or too slow, {missed} target(s) missed{findings}"
    return 0, f"{len(times)} notebook(s) within time, every target met{findings}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
