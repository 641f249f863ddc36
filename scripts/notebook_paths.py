"""The notebooks a maintenance command acts on, and the cells whose outputs nbval compares."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = re.compile(r"^\s*#\s*NBVAL_CHECK_OUTPUT\b", re.M)


def is_marked(cell) -> bool:
    """Whether a code cell carries nbval's ``# NBVAL_CHECK_OUTPUT`` marker."""
    source = cell["source"]
    if not isinstance(source, str):  # a notebook read as plain JSON stores a list of lines
        source = "".join(source)
    return cell["cell_type"] == "code" and bool(MARK.search(source))


def notebooks(args, *, command: str) -> list[Path]:
    """Notebooks named in ``args`` (files or folders), or all under ``chapters/``.

    Raises ``SystemExit`` naming ``command`` for a path that is neither.
    """
    paths = [Path(a) for a in args] or [ROOT / "chapters"]
    found = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        elif path.suffix == ".ipynb" and path.exists():
            found.append(path)
        else:
            raise SystemExit(f"{command}: {path} is neither a notebook nor a folder")
    return [p.resolve() for p in found]
