"""A non-editable install from the built wheel works without the repository: the wheel goes into a
fresh venv, which sees the project venv's site-packages for the dependencies only, and the commands
run from a folder outside the repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "agentnotes"
NOTES = {
    "clipping.md": "# Gradient clipping\n\nClip the global gradient norm at 1.0 so a single bad batch cannot blow up training.\n",
    "sparse.txt": "Sparse attention idea\n\nEach token attends only to a sliding window of 64 neighbours plus a few global tokens.\n",
}


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def _package_files() -> set[str]:
    """Every file of the package in the source tree, as wheel paths (compiled files aside)."""
    return {path.relative_to(REPO).as_posix() for path in PACKAGE.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the sources so the build leaves nothing in the working tree."""
    source = tmp_path_factory.mktemp("source")
    shutil.copytree(PACKAGE, source / "agentnotes", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
          "-w", str(out), str(source)], cwd=source)
    return next(out.glob("agentnotes-*.whl"))


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed; the project venv's site-packages on its path for the
    dependencies, as a plain path: its .pth files (the editable install's finder) are not run."""
    root = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", "--without-pip", str(root)], cwd=root)
    python = root / "bin" / "python"
    # Installed before the dependencies become visible, so pip sees no other agentnotes to replace.
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)],
         cwd=root)
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=root).stdout.strip())
    (site / "project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return root


@pytest.fixture()
def env(agentnotes_home: Path) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


def test_the_wheel_holds_every_package_file(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        packaged = {name for name in archive.namelist() if name.startswith("agentnotes/")}
    assert _package_files() - packaged == set()
    assert "agentnotes/prompt_files/answer.md" in packaged


def test_installed_wheel_ingests_and_searches_outside_the_repository(wheel: Path, venv: Path, env: dict[str, str],
                                                                    tmp_path: Path) -> None:
    bin_dir, work = venv / "bin", tmp_path / "elsewhere"
    notes = work / "notes"
    notes.mkdir(parents=True)
    for name, text in NOTES.items():
        (notes / name).write_text(text, encoding="utf-8")

    where = _run([str(bin_dir / "python"), "-c", "import agentnotes.cli, agentnotes.prompts as p; "
                  "print(agentnotes.__file__); print(p.SHIPPED_DIR)"], cwd=work, env=env).stdout.split()
    assert all(Path(path).is_relative_to(venv) for path in where), where
    assert _run([str(bin_dir / "agentnotes"), "--version"], cwd=work, env=env).stdout.split() == ["agentnotes", wheel.name.split("-")[1]]

    ingest = json.loads(_run([str(bin_dir / "agentnotes"), "ingest", str(notes), "--json"], cwd=work, env=env).stdout)
    assert ingest["ok"] and len(ingest["new"]) == 2 and ingest["chunks"]["total"] >= 2

    hits = json.loads(_run([str(bin_dir / "agentnotes"), "search", "clip the gradient norm", "-k", "1", "--no-rewrite",
                            "--json"], cwd=work, env=env).stdout)
    assert Path(hits[0]["source"]).name == "clipping.md" and "1.0" in hits[0]["text"]

    prompts = json.loads(_run([str(bin_dir / "agentnotes"), "prompts", "list", "--json"], cwd=work, env=env).stdout)
    assert {p["name"] for p in prompts} == {p.stem for p in (PACKAGE / "prompt_files").glob("*.md")}
    assert all(p["active"] == "shipped" for p in prompts)
