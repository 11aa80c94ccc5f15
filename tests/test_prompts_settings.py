"""Prompt files and settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentnotes.errors import ConfigError, PromptError
from agentnotes.prompts import load_prompt, load_shipped, parse_prompt, shipped_names
from agentnotes.settings import load_settings


def test_every_shipped_prompt_parses_and_has_a_user_part() -> None:
    names = shipped_names()
    assert "answer" in names
    for name in names:
        prompt = load_shipped(name)
        assert prompt.user.strip(), name


def test_render_checks_variables() -> None:
    prompt = parse_prompt("t", "<!-- system -->\nS {{a}}\n<!-- user -->\nU {{b}}")
    assert prompt.render(a="1", b="2") == [("system", "S 1"), ("user", "U 2")]
    with pytest.raises(PromptError, match="missing"):
        prompt.render(a="1")
    with pytest.raises(PromptError, match="unexpected"):
        prompt.render(a="1", b="2", c="3")


def test_user_version_overrides_shipped_and_must_keep_variables(tmp_path: Path) -> None:
    (tmp_path / "answer").mkdir()
    shipped = load_shipped("answer")
    (tmp_path / "answer" / "v1.md").write_text("<!-- user -->\n{{context}} {{question}} v1", encoding="utf-8")
    (tmp_path / "answer" / "active").write_text("v1")
    assert load_prompt("answer", tmp_path).version == "v1"
    (tmp_path / "answer" / "v2.md").write_text("<!-- user -->\n{{question}} only", encoding="utf-8")
    (tmp_path / "answer" / "active").write_text("v2")
    with pytest.raises(PromptError, match="variables"):
        load_prompt("answer", tmp_path)
    assert load_prompt("answer", None).version == shipped.version == "shipped"


def test_settings_precedence(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('embedder = "all-MiniLM"\nthreads = 4\n')
    settings = load_settings(tmp_path, env={"AGENTNOTES_THREADS": "3"})
    assert settings.embedder == "all-MiniLM" and settings.threads == 3
    assert settings.store_dir == tmp_path / "store"


def test_settings_errors_say_what_to_fix(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("bogus = 1\n")
    with pytest.raises(ConfigError, match="Unknown keys"):
        load_settings(tmp_path, env={})
    (tmp_path / "config.toml").write_text("")
    with pytest.raises(ConfigError, match="provider"):
        load_settings(tmp_path, env={"AGENTNOTES_LLM_PROVIDER": "gpt"})


def test_openai_provider_gets_a_model_name(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={"AGENTNOTES_LLM_PROVIDER": "openai", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    assert settings.is_remote_llm and settings.llm_model != "qwen2.5-coder-1.5b"
