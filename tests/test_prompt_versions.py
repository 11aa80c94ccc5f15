"""Prompt versions on disk: add, use, diff, fall back to shipped, score history; and the CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agentnotes.cli import app
from agentnotes.errors import PromptError
from agentnotes.prompt_versions import PromptVersions
from agentnotes.prompts import load_prompt
from agentnotes.settings import load_settings


@pytest.fixture
def answer_versions() -> PromptVersions:
    return PromptVersions(load_settings().prompts_dir, "answer")


def test_add_use_and_go_back_to_shipped(answer_versions: PromptVersions) -> None:
    user_dir = answer_versions.user_dir
    edited = answer_versions.text("shipped").replace("Be brief: at most 4 sentences.", "Be brief: at most 2 sentences.")
    assert answer_versions.add(edited) == "v1" and answer_versions.add(edited) == "v2"
    assert answer_versions.versions() == ["shipped", "v1", "v2"] and answer_versions.active() == "shipped"
    answer_versions.use("v1")
    assert load_prompt("answer", user_dir).version == "v1" and "at most 2 sentences" in load_prompt("answer", user_dir).system
    changes = answer_versions.diff("shipped", "v1")
    assert "\n-- Be brief: at most 4 sentences." in changes and "\n+- Be brief: at most 2 sentences." in changes
    answer_versions.use("shipped")
    assert load_prompt("answer", user_dir).version == "shipped"


def test_a_version_must_keep_the_variables_and_unknown_versions_are_errors(answer_versions: PromptVersions) -> None:
    with pytest.raises(PromptError, match="must use the variables"):
        answer_versions.add("<!-- user -->\n{{question}} only\n")
    with pytest.raises(PromptError, match="no version 'v9'"):
        answer_versions.use("v9")
    with pytest.raises(PromptError, match="No prompt named"):
        PromptVersions(answer_versions.user_dir, "nonexistent").versions()


def test_scores_are_kept_per_version_and_shown_by_the_cli(answer_versions: PromptVersions) -> None:
    version = answer_versions.add(answer_versions.text("shipped") + "\n")
    answer_versions.record_score("shipped", "cites_source", "validation", 0.5, 8)
    answer_versions.record_score(version, "cites_source", "validation", 0.75, 8)
    runner = CliRunner()
    listed = json.loads(runner.invoke(app, ["prompts", "list", "--json"]).stdout)
    answer = next(r for r in listed if r["name"] == "answer")
    assert answer["best"]["version"] == version and answer["best"]["score"] == 0.75
    shown = json.loads(runner.invoke(app, ["prompts", "show", "answer", "--version", version, "--json"]).stdout)
    assert [s["score"] for s in shown["scores"]] == [0.75]
    used = runner.invoke(app, ["prompts", "use", "answer", version])
    assert used.exit_code == 0 and answer_versions.active() == version
