"""Write the configuration of the check build that `make site` runs.

    python scripts/check_site_config.py OUTPUT_YML

The check build executes only the introduction and chapter 01 (in the smoke
profile), so the browser check has real figures to look at; every other
notebook is already executed by the nbval step. Their `{glue:text}` roles
then have nothing to show, so missing-glue warnings are silenced here, and
only here: the real book build executes every notebook and keeps them errors.
Fails loudly if `_config.yml` lacks a key this script sets.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = ("00-intro", "01-neurons")


def check_config(config: dict, chapters: list[str], limits: dict) -> dict:
    """The book's config turned into the check build's."""
    try:
        execute = config["execute"]
        execute["execute_notebooks"]
        sphinx_config = config["sphinx"]["config"]
    except KeyError as missing:
        raise SystemExit(f"check_site_config: _config.yml has no key {missing}; update this script")
    execute["execute_notebooks"] = "force"
    execute["exclude_patterns"] = [f"chapters/{name}/*.ipynb" for name in chapters
                                   if name not in EXECUTED]
    execute["timeout"] = max([limits["default_s"], *limits["notebooks"].values()])
    warnings = list(sphinx_config.get("suppress_warnings", []))
    sphinx_config["suppress_warnings"] = [*warnings, "mystnb.glue"]
    return config


def main(argv) -> int:
    if len(argv) != 1:
        raise SystemExit("usage: python scripts/check_site_config.py OUTPUT_YML")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    limits = yaml.safe_load((ROOT / "time_limits.yml").read_text())
    chapters = sorted(p.name for p in (ROOT / "chapters").iterdir() if p.is_dir())
    out = Path(argv[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(check_config(config, chapters, limits), sort_keys=False,
                                  allow_unicode=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
