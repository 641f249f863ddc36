"""The notebooks a maintenance command acts on: the ones named, or every chapter's."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
