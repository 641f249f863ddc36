"""Book structure: table of contents, notebook conventions, configuration."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))  # the marker rule nbval and `make outputs` share
from notebook_paths import is_marked  # noqa: E402
CHAPTERS = ROOT / "chapters"
NOTEBOOKS = sorted(p for p in CHAPTERS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPOSITORY = CONFIG["repository"]["url"]

BRANCH = CONFIG["repository"]["branch"]
# The Colab button opens a notebook from the repository and branch _config.yml names; the
# setup cell installs the library from that same repository and branch, so the two match.
SETUP_CELL = (
    "# Setup: on Google Colab, install the course library from the repository and branch\n"
    "# this notebook comes from, so notebook and library match; elsewhere do nothing.\n"
    "import sys\n"
    "\n"
    'if "google.colab" in sys.modules:\n'
    f'    %pip install --quiet "dlarch @ git+{REPOSITORY}@{BRANCH}"'
)


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return files


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell) -> str:
    return "".join(cell["source"])


def nb_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found under chapters/"


def test_every_toc_entry_exists():
    missing = [f for f in toc_files()
               if not any((ROOT / f"{f}{ext}").exists() for ext in (".md", ".ipynb"))]
    assert not missing, f"_toc.yml lists files that do not exist: {missing}"


def test_every_notebook_is_in_the_toc():
    listed = set(toc_files())
    orphans = [nb_id(p) for p in NOTEBOOKS if str(p.relative_to(ROOT).with_suffix("")) not in listed]
    assert not orphans, f"notebooks missing from _toc.yml: {orphans}"


def test_every_chapter_has_an_index():
    for folder in sorted(p for p in CHAPTERS.iterdir() if p.is_dir()):
        assert (folder / "index.md").exists(), f"{folder.name} has no index.md"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=nb_id)
def test_notebook_keeps_exactly_the_outputs_nbval_compares(path):
    # Marked cells hold the output nbval compares with; every other cell is stripped.
    # `make outputs` refreshes the first kind, `make strip` enforces the second.
    for i, cell in enumerate(load(path)["cells"]):
        if cell["cell_type"] != "code":
            continue
        if is_marked(cell):
            # nbval skips the comparison of a cell that has no execution count.
            assert cell.get("execution_count"), f"cell {i} is marked NBVAL_CHECK_OUTPUT but has no execution count"
            assert cell.get("outputs"), f"cell {i} is marked NBVAL_CHECK_OUTPUT but has no stored output (make outputs)"
            streams = [o.get("name") for o in cell["outputs"] if o.get("output_type") == "stream"]
            assert "stderr" not in streams, f"cell {i} stores stderr, which varies by machine"
            assert not any(o.get("output_type") == "error" for o in cell["outputs"]), f"cell {i} stores an error"
        else:
            assert cell.get("execution_count") is None, f"cell {i} has an execution count (make strip)"
            assert not cell.get("outputs"), f"cell {i} has stored outputs but is not marked NBVAL_CHECK_OUTPUT (make strip)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=nb_id)
def test_every_cell_has_a_unique_id(path):
    # nbformat 4.5 requires cell ids; a cell added by hand without one breaks validation.
    cells = load(path)["cells"]
    ids = [cell.get("id") for cell in cells]
    assert all(ids), f"cells {[i for i, x in enumerate(ids) if not x]} have no id"
    assert len(set(ids)) == len(ids), "cell ids must be unique within a notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=nb_id)
def test_notebook_declares_its_kernel_and_language(path):
    # Without these the site builder cannot highlight code and warns (an error under -W).
    meta = load(path)["metadata"]
    assert meta.get("kernelspec", {}).get("name") == "python3", "kernelspec.name must be python3"
    assert meta.get("language_info", {}).get("name") == "python", "language_info.name must be python"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=nb_id)
def test_notebook_opens_with_title_and_setup_cell(path):
    cells = load(path)["cells"]
    assert cells[0]["cell_type"] == "markdown" and source(cells[0]).startswith("# "), \
        "the first cell must be a markdown title ('# ...') with a short summary"
    code = [c for c in cells if c["cell_type"] == "code"]
    assert code and source(code[0]) == SETUP_CELL, "the first code cell must be the shared setup cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=nb_id)
def test_notebook_sets_profile_and_seed(path):
    code = "\n".join(source(c) for c in load(path)["cells"] if c["cell_type"] == "code")
    assert re.search(r"^profile = setup\(seed=\d+\)", code, re.M), \
        "notebooks state the profile and seed in one line: profile = setup(seed=...)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=nb_id)
def test_notebook_ends_with_takeaways_and_exercises(path):
    headings = [line.strip().lower() for c in load(path)["cells"] if c["cell_type"] == "markdown"
                for line in source(c).splitlines() if line.startswith("#")]
    assert any("key takeaways" in h for h in headings), "no 'Key takeaways' heading"
    assert any("exercises" in h for h in headings), "no 'Exercises' heading"


def setup_cell_target(cell: str) -> tuple[str, str]:
    """The (repository URL, ref) a setup cell's ``%pip install`` line installs from."""
    match = re.search(r'%pip install --quiet "dlarch @ git\+(\S+?)@([^"\s]+)"', cell)
    assert match, "the setup cell must install dlarch from git: dlarch @ git+URL@REF"
    return match.group(1), match.group(2)


def test_setup_cell_installs_from_the_configured_repository_and_branch():
    url, ref = setup_cell_target(SETUP_CELL)
    assert url == REPOSITORY, f"setup cell installs from {url}, _config.yml names {REPOSITORY}"
    assert ref == BRANCH, f"setup cell installs ref {ref!r}, _config.yml names branch {BRANCH!r}"


def test_every_notebook_installs_the_configured_ref():
    stale = [nb_id(p) for p in NOTEBOOKS
             if setup_cell_target(source(next(c for c in load(p)["cells"] if c["cell_type"] == "code")))
             != (REPOSITORY, BRANCH)]
    assert not stale, f"setup cells that install another repository or ref: {stale}"


def test_citations_exist_in_bibliography():
    keys = set(re.findall(r"@\w+\{([^,]+),", (ROOT / "references.bib").read_text()))
    texts = [p.read_text(encoding="utf-8") for p in [*NOTEBOOKS, *ROOT.glob("*.md"),
                                                     *CHAPTERS.rglob("*.md")]]
    cited = {k.strip() for t in texts for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", t)
             for k in group.split(",")}
    assert cited, "no citations found"
    assert not cited - keys, f"cited but not in references.bib: {sorted(cited - keys)}"


def test_config_executes_strictly_with_launch_buttons():
    execute = CONFIG["execute"]
    assert execute["execute_notebooks"] == "cache"
    assert execute["allow_errors"] is False
    assert isinstance(execute["timeout"], int) and execute["timeout"] > 0
    assert CONFIG["repository"]["branch"] == "main"
    assert CONFIG["launch_buttons"]["colab_url"].startswith("https://colab.research.google.com")
    assert CONFIG["launch_buttons"]["binderhub_url"]
    assert "sphinxcontrib.bibtex" in CONFIG["sphinx"]["extra_extensions"]
