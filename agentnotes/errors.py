"""Typed errors. Each one says how to fix the problem; the CLI maps them to exit codes."""

from __future__ import annotations

from pathlib import Path


class AgentNotesError(Exception):
    """Base class: a problem the user can act on. `exit_code` is what the CLI returns; `run_dir`
    is the experiment run directory the failure belongs to, when there is one."""

    exit_code = 1

    def __init__(self, *args: object, run_dir: Path | None = None) -> None:
        super().__init__(*args)
        self.run_dir = run_dir


class ConfigError(AgentNotesError):
    """The settings or config file are invalid."""

    exit_code = 2


class InputError(AgentNotesError):
    """A path, file or argument given by the user cannot be used."""

    exit_code = 2


class NoModelError(AgentNotesError):
    """A model (embedder or LLM) is missing or broken."""

    exit_code = 3


class StoreError(AgentNotesError):
    """The vector store is unavailable, locked or broken."""

    exit_code = 4


class StoreLockedError(StoreError):
    """Another agentnotes process holds the store."""


class LLMError(AgentNotesError):
    """The language model failed or returned something unusable."""

    exit_code = 5


class PromptError(AgentNotesError):
    """A prompt file is missing or its variables do not match."""

    exit_code = 2


class SandboxError(AgentNotesError):
    """Generated code cannot be run safely here."""

    exit_code = 6


class ExperimentError(AgentNotesError):
    """An experiment could not be planned, run or judged."""

    exit_code = 7


class Interrupted(AgentNotesError):
    """The user stopped the command (Ctrl-C)."""

    exit_code = 130
