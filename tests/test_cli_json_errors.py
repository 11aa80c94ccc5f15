"""Every --json command prints JSON on failure too: the error object on stdout, a nonzero exit code;
without --json the same failure is one line on stderr. Real store on disk, no LLM loaded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from agentnotes.cli import app


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def error_of(result: Result) -> dict:
    """The error object of a failed --json command; its stdout holds nothing else."""
    assert result.exit_code not in (0, None), result.output
    return json.loads(result.stdout)["error"]


def test_search_of_an_empty_store(agentnotes_home: Path) -> None:
    result = invoke("search", "mirror layer", "--no-rewrite", "--json")
    error = error_of(result)
    assert result.exit_code == 4 and error["type"] == "StoreError"
    assert "agentnotes ingest" in error["message"] and "run_dir" not in error
    plain = invoke("search", "mirror layer", "--no-rewrite")
    assert plain.exit_code == 4 and plain.stdout == "" and "StoreError" in plain.stderr


def test_ask_without_a_usable_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTNOTES_LLM_MODEL", "no-such-model")
    result = invoke("ask", "What does the mirror layer do?", "--json")
    error = error_of(result)
    assert result.exit_code == 3 and error["type"] == "NoModelError" and "no-such-model" in error["message"]


def _fake_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    """An OpenAI-compatible endpoint that is never reached: the failure comes before any LLM call."""
    monkeypatch.setenv("AGENTNOTES_LLM_PROVIDER", "openai")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("AGENTNOTES_QUERY_REWRITE", "false")


def test_run_experiment_failure_names_its_run_directory(agentnotes_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_endpoint(monkeypatch)
    result = invoke("run-experiment", "mirror vs baseline", "--json")  # nothing ingested: no idea to find
    error = error_of(result)
    assert result.exit_code == 7 and error["type"] == "ExperimentError" and "agentnotes ingest" in error["message"]
    run_dir = Path(error["run_dir"])
    assert run_dir.parent == agentnotes_home / "runs" and (run_dir / "record.json").is_file()


def test_interrupted_run_experiment_says_how_to_resume(agentnotes_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import agentnotes.pipeline.experiment as pipeline

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    _fake_endpoint(monkeypatch)
    monkeypatch.setattr(pipeline, "run_experiment", interrupted)
    error = error_of(result := invoke("run-experiment", "mirror vs baseline", "--json"))
    run_dir = Path(error["run_dir"])
    assert result.exit_code == 130 and error["type"] == "Interrupted"
    assert f"--resume {run_dir.name}" in error["message"] and run_dir.is_dir()


def test_usage_error_under_json() -> None:
    result = invoke("search", "--json")  # the query is missing
    assert result.exit_code == 2 and error_of(result)["type"] == "MissingParameter"
    assert invoke("search").exit_code == 2  # without --json click's usage message stays as it is


def test_ingest_of_a_folder_without_notes(tmp_path: Path) -> None:
    folder = tmp_path / "pictures"
    folder.mkdir()
    (folder / "figure.png").write_bytes(b"\x89PNG")
    result = invoke("ingest", str(folder), "--json")
    error = error_of(result)
    assert result.exit_code == 2 and error["type"] == "InputError"
    assert str(folder) in error["message"] and "1 other file(s) skipped" in error["message"] and ".md" in error["message"]
    plain = invoke("ingest", str(folder))
    assert plain.exit_code == 2 and "No notes found" in plain.stderr and plain.stdout == ""


def test_ingest_of_notes_still_succeeds(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "idea.md").write_text("# Idea\n\nNormalise each gradient by its own norm before the step.\n", encoding="utf-8")
    result = invoke("ingest", str(folder), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["new"] == [str(folder / "idea.md")]
