"""The Colab launch: the library installs from a git URL, and declares what it imports.

On Colab the setup cell runs ``%pip install "dlarch @ git+URL@BRANCH"`` (URL and
branch from ``_config.yml``, checked in ``test_book.py``) next to Colab's own
Keras and TensorFlow. These tests install the committed library the same way
from a throwaway clone, and check that ``pyproject.toml`` declares every
third-party module the library imports, with lower bounds that cover the APIs
it uses.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "lib" / "dlarch"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
BRANCH = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["branch"]

# Keras backends other than TensorFlow: imported only when the reader picked that backend.
OPTIONAL_MODULES = {"jax", "torch"}

# Keras APIs newer than Keras 3.0, with the release that introduced them (release notes).
KERAS_API_SINCE = {
    "keras.distillation": (3, 12),  # Keras 3.12.0: "Keras has a new model distillation API"
}


def declared() -> dict[str, tuple[int, ...]]:
    """Distribution name (normalised) -> declared lower bound, from pyproject's dependencies."""
    bounds = {}
    for requirement in PYPROJECT["project"]["dependencies"]:
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(?:>=\s*([\d.]+))?.*", requirement)
        assert match, f"cannot read the requirement {requirement!r}"
        name, low = match.groups()
        bounds[normalise(name)] = tuple(int(p) for p in low.split(".")) if low else ()
    return bounds


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules() -> dict[str, list[str]]:
    """Top-level third-party modules imported anywhere in lib/dlarch -> files importing them."""
    found: dict[str, list[str]] = {}
    for path in sorted(LIB.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "dlarch":
                    found.setdefault(top, []).append(str(path.relative_to(ROOT)))
    return found


def test_version_has_one_source():
    assert "version" in PYPROJECT["project"]["dynamic"], "pyproject.toml must not type the version"
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "dlarch.__version__"}
    typed = [str(p.relative_to(ROOT)) for p in (ROOT / "chapters").rglob("*.ipynb")
             if re.search(r"dlarch @ git\+\S+@v\d", p.read_text(encoding="utf-8"))]
    assert not typed, f"notebooks that install a typed release tag: {typed}"


def test_every_imported_module_is_declared():
    to_distributions = importlib.metadata.packages_distributions()
    bounds = declared()
    missing = []
    for module, files in imported_modules().items():
        if module in OPTIONAL_MODULES:
            continue
        distributions = [normalise(d) for d in to_distributions.get(module, [module])]
        if not any(d in bounds for d in distributions):
            missing.append(f"{module} ({', '.join(distributions)}; imported in {files[0]})")
    assert not missing, f"imported by the library but not in pyproject.toml dependencies: {missing}"


def test_declared_lower_bounds_are_installed_here_and_cover_the_apis_used():
    bounds = declared()
    for name, low in bounds.items():
        installed = tuple(int(p) for p in re.findall(r"\d+", importlib.metadata.version(name))[:3])
        assert installed >= low, f"{name}: declared ≥ {low}, but {installed} is installed here"
    source = "\n".join(p.read_text(encoding="utf-8") for p in LIB.rglob("*.py"))
    needed = max([since for api, since in KERAS_API_SINCE.items() if api in source], default=(3, 0))
    assert bounds["keras"] >= needed, (
        f"the library uses Keras APIs from Keras {'.'.join(map(str, needed))} "
        f"but pyproject.toml declares keras ≥ {'.'.join(map(str, bounds['keras']))}"
    )


def git(*args, cwd=ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="not a git checkout")
def test_pip_installs_the_library_from_a_git_url_at_the_configured_branch(tmp_path):
    # A bare clone whose branch BRANCH is this checkout's HEAD commit: the install sees
    # exactly what is committed, never the uncommitted state of the working tree.
    clone = tmp_path / "repository.git"
    git("clone", "--quiet", "--bare", str(ROOT), str(clone))
    git("update-ref", f"refs/heads/{BRANCH}", git("rev-parse", "HEAD").strip(), cwd=clone)
    target = tmp_path / "site"
    # The URL form of the setup cell; --no-deps because Colab brings Keras and TensorFlow.
    # pip builds the wheel in an isolated environment, fetching setuptools from the package
    # registry, as it does on Colab.
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
         f"dlarch @ git+file://{clone}@{BRANCH}"],
        capture_output=True, text=True, timeout=1200,  # generous: only guards against a hang
    )
    assert install.returncode == 0, install.stderr[-3000:]
    probe = ("import dlarch, dlarch.data, dlarch.training; "
             "print(dlarch.__file__); print(dlarch.__version__)")
    env = {**os.environ, "PYTHONPATH": str(target)}
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    where, version = run.stdout.split()
    assert Path(where).is_relative_to(target), f"imported {where}, not the installed copy"
    assert version == importlib.metadata.version("dlarch")
