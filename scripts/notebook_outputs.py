"""Keep exactly the outputs nbval compares: those of cells marked ``# NBVAL_CHECK_OUTPUT``.

    python scripts/notebook_outputs.py strip   [NOTEBOOK_OR_FOLDER ...]
    python scripts/notebook_outputs.py refresh [NOTEBOOK_OR_FOLDER ...]

``strip`` clears every output and execution count, except the outputs of
marked cells. ``refresh`` runs each notebook twice in the smoke profile (as
`make test` does), writes the outputs of its marked cells back into the file
and strips the rest; a marked cell whose output differs between the two runs
is reported and the command fails, since nbval would compare it flakily.
Review the diff before committing: a changed output is a changed result.
(nbstripout keeps outputs by a metadata flag, not by nbval's own marker; this
script keys on the marker so there is one way to mark a cell.)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from notebook_paths import is_marked, notebooks

ROOT = Path(__file__).resolve().parents[1]


def kept(outputs) -> list:
    """Outputs as stored: no execution counts, consecutive prints of a stream joined.

    Where a stream is split depends on when the kernel flushed, not on the
    result, so the split is not kept (nbval joins streams before comparing).
    """
    result = []
    for output in outputs:
        output = nbformat.from_dict(dict(output))
        if "execution_count" in output:
            output["execution_count"] = None
        previous = result[-1] if result else None
        if (output.get("output_type") == "stream" and previous is not None
                and previous.get("output_type") == "stream" and previous.get("name") == output.get("name")):
            previous["text"] += output["text"]
            continue
        result.append(output)
    return result


def strip(nb) -> None:
    """Clear every code cell but the marked ones, which keep their outputs.

    nbval compares only cells that were run, so a marked cell carries an
    execution count: its position among the code cells, stable across runs.
    """
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    for count, cell in enumerate(code, start=1):
        marked = is_marked(cell)
        cell.execution_count = count if marked else None
        cell.outputs = kept(cell.outputs) if marked else []
        for key in ("execution", "collapsed", "scrolled"):
            cell.metadata.pop(key, None)


def execute(path: Path) -> list:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(stderr=subprocess.DEVNULL)
    return nb.cells


def writes_stderr(outputs) -> bool:
    return any(o.get("output_type") == "stream" and o.get("name") == "stderr" for o in outputs)


def refresh(path: Path) -> list[str]:
    """Run twice in the smoke profile, store marked outputs; return the unstable cells.

    A marked cell is unstable when its two runs differ, or when it writes to
    stderr (library warnings vary with the machine, and nbval compares them).
    """
    nb = nbformat.read(path, as_version=4)
    if not any(is_marked(cell) for cell in nb.cells):
        strip(nb)
        nbformat.write(nb, path)
        return []
    start = time.perf_counter()
    first = execute(path)
    elapsed = time.perf_counter() - start
    second = execute(path)
    print(f"  {elapsed:.0f} s per smoke run", flush=True)
    nb = nbformat.read(path, as_version=4)
    flaky = []
    for index, (cell, a, b) in enumerate(zip(nb.cells, first, second)):
        if not is_marked(cell):
            continue
        if kept(a.outputs) != kept(b.outputs):
            flaky.append(f"{path.relative_to(ROOT)} cell {index}: differs between runs")
        elif writes_stderr(a.outputs):
            flaky.append(f"{path.relative_to(ROOT)} cell {index}: writes to stderr")
        cell.outputs = kept(a.outputs)
    strip(nb)
    nbformat.write(nb, path)
    return flaky


def main(argv) -> int:
    if not argv or argv[0] not in ("strip", "refresh"):
        raise SystemExit(__doc__)
    command, paths = argv[0], notebooks(argv[1:], command="notebook_outputs")
    if command == "strip":
        for path in paths:
            nb = nbformat.read(path, as_version=4)
            strip(nb)
            nbformat.write(nb, path)
        return 0
    os.environ.setdefault("DLARCH_PROFILE", "smoke")
    os.environ.setdefault("DLARCH_RESULTS", str(ROOT / "_build" / "smoke-results.jsonl"))
    os.environ.setdefault("PYTHONHASHSEED", "0")
    flaky = []
    for path in paths:
        print(f"refresh: {path.relative_to(ROOT)}", flush=True)
        flaky += refresh(path)
    if flaky:
        print("unstable marked outputs (make them deterministic or unmark them):\n  "
              + "\n  ".join(flaky))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
