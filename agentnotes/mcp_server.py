"""The MCP server: the notes as tools for an editor or agent, over stdio.

Each tool calls what the command of the same name calls (retrieve, ask_notes, the run
directories). The embedder and the chat model load on first use and stay loaded for the life of
the process; the store is opened per call under its shared lock, so an ingest can run between
calls, and the vector index is reopened after another process changed it. The client is taken
to be a remote model: chunks flagged as secrets are withheld from everything the server returns
unless it was started with --allow-secrets.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cached_property, wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from agentnotes.agents.answer import ANSWER_K, ANSWER_SEED
from agentnotes.errors import AgentNotesError, InputError
from agentnotes.settings import Settings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models.chat_models import BaseChatModel
    from mcp.server.mcpserver import MCPServer

MAX_READ_LINES = 400  # lines one read_note call returns at most
WITHHELD_LINE = "[withheld: flagged as a possible secret; start the server with --allow-secrets to share it]"
INSTRUCTIONS = (
    "Research notes (Chinese and English) and the experiments run from them. `search` finds passages "
    "with file and line numbers, `read_note` reads more lines around a hit, `ask` answers with citations."
)


class NotesTools:
    """The tools' work. One call at a time: the tools run in worker threads, the models are not thread-safe."""

    def __init__(self, settings: Settings, allow_secrets: bool = False) -> None:
        self.settings = settings
        self.share_secrets = allow_secrets or settings.allow_secrets_remote
        self.lock = threading.Lock()
        self._index_version = ""

    @cached_property
    def embeddings(self) -> Embeddings:
        from agentnotes.index.embedders import get_embedder

        return get_embedder(self.settings)

    @cached_property
    def model(self) -> BaseChatModel:
        from agentnotes.llm.provider import get_chat_model

        return get_chat_model(self.settings, seed=ANSWER_SEED)

    def _reopen_changed_index(self) -> None:
        """chromadb keeps an index it has opened in memory: after another process wrote it, open it again."""
        from agentnotes.index.chroma_index import drop_cached_clients
        from agentnotes.index.knowledge_base import index_version

        version = "" if self.settings.chroma_url else index_version(self.settings)
        if version != self._index_version:
            drop_cached_clients()
            self._index_version = version

    def search(
        self,
        query: Annotated[str, Field(description="What to look for, in any language.")],
        k: Annotated[int, Field(ge=1, le=50, description="Number of passages.")] = 5,
        rewrite: Annotated[bool | None, Field(description="Let the LLM add a translation and key terms first "
                                                      "(slower; default from the settings).")] = None,
    ) -> dict[str, Any]:
        """Hybrid search (multilingual dense + keyword) over the ingested notes: passages with file and lines."""
        from agentnotes.agents.answer import withhold_secrets
        from agentnotes.retrieval.service import retrieve

        self._reopen_changed_index()
        rewritten: list[str] = []
        rewriting = self.settings.query_rewrite if rewrite is None else rewrite
        hits = retrieve(self.settings, query, k, rewrite=rewriting, model=self.model if rewriting else None,
                        on_rewrite=rewritten.append, embeddings=self.embeddings)
        hits, withheld = withhold_secrets(hits, allow=self.share_secrets)
        return {"query": query, "rewrite": rewritten[0] if rewritten else None,
                "hits": [h.as_dict(i) for i, h in enumerate(hits, start=1)], "withheld_secret_chunks": withheld}

    def ask(
        self,
        question: Annotated[str, Field(description="The question to answer from the notes.")],
        k: Annotated[int, Field(ge=1, le=10, description="How many passages the answer is written from.")] = ANSWER_K,
        check: Annotated[bool, Field(description="Let the critic check each statement against the cited passages.")] = True,
    ) -> dict[str, Any]:
        """Answer from the notes with the local model: the answer, numbered citations (file, lines, text), the critic's verdict."""
        from agentnotes.pipeline.ask import ask_notes

        self._reopen_changed_index()
        return ask_notes(self.settings, self.model, question, k=k, check=check, share_secrets=self.share_secrets,
                         embeddings=self.embeddings).as_dict()

    def read_note(
        self,
        path: Annotated[str, Field(description="An ingested note: the `source` of a search hit, or a unique end of it (file name).")],
        start_line: Annotated[int, Field(ge=1, description="First line, 1-based.")] = 1,
        end_line: Annotated[int | None, Field(ge=1, description=f"Last line, inclusive (at most {MAX_READ_LINES} lines).")] = None,
    ) -> dict[str, Any]:
        """Lines of one ingested note, as they are on disk now. Only files the knowledge base holds can be read."""
        from agentnotes.index.knowledge_base import open_knowledge_base
        from agentnotes.notes.reader import read_note
        from agentnotes.notes.types import Skipped

        with open_knowledge_base(self.settings) as kb:
            chunks = kb.chunks()
            source = _ingested_source(path, sorted({c.source for c in chunks}))
            record = kb.catalog.file(source)
        note = read_note(Path(source))
        if isinstance(note, Skipped):
            raise InputError(f"The note {source} can no longer be read ({note.reason}); run 'agentnotes ingest' again.")
        lines = note.text.split("\n")
        last = min(len(lines), end_line or start_line + MAX_READ_LINES - 1, start_line + MAX_READ_LINES - 1)
        if start_line > len(lines):
            raise InputError(f"{source} has {len(lines)} lines; start_line {start_line} is past its end.")
        secret = set() if self.share_secrets else \
            {n for c in chunks if c.source == source and c.secret for n in range(c.start_line, c.end_line + 1)}
        text = "\n".join(WITHHELD_LINE if n in secret else lines[n - 1] for n in range(start_line, last + 1))
        return {"source": source, "start_line": start_line, "end_line": last, "total_lines": len(lines), "text": text,
                "changed_since_ingest": record is None or record.file_hash != note.file_hash}

    def list_experiments(self) -> dict[str, Any]:
        """Experiment runs, newest first: id, status, request, conclusion."""
        from agentnotes.experiments.results.rundir import list_runs

        return {"experiments": [r.brief() for r in list_runs(self.settings.runs_dir)]}

    def show_experiment(
        self, run_id: Annotated[str, Field(description="Run id, or a unique prefix of it.")],
    ) -> dict[str, Any]:
        """One experiment: its record (status, conclusion, phases, paths) and its report in Markdown."""
        from agentnotes.experiments.results import rundir as rd

        run = rd.open_run(self.settings.runs_dir, run_id)
        return {**run.summary(), "report_markdown": run.read_text(rd.REPORT)}


def _ingested_source(path: str, sources: list[str]) -> str:
    """The ingested note `path` names (exactly, or as a unique end of its path); refuse anything else."""
    wanted = path.strip()
    if wanted in sources:
        return wanted
    tail = "/" + wanted.lstrip("/")
    matches = [s for s in sources if s.endswith(tail)] if wanted and ".." not in Path(wanted).parts else []
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise InputError(f"'{path}' matches {len(matches)} ingested notes ({', '.join(matches[:3])}); give more of the path.")
    raise InputError(f"'{path}' is not an ingested note ({len(sources)} are); only the ingested notes can be read. "
                     "Use the `source` of a search hit.")


def _guarded(tools: NotesTools, method: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """`method` run under the tools' lock, its AgentNotesError turned into a tool error the client reads."""
    from mcp.server.mcpserver.exceptions import ToolError

    @wraps(method)
    def call(*args: Any, **kwargs: Any) -> dict[str, Any]:
        with tools.lock:
            try:
                return method(*args, **kwargs)
            except AgentNotesError as exc:
                raise ToolError(f"{type(exc).__name__}: {exc}") from exc

    return call


def build_server(settings: Settings, allow_secrets: bool = False) -> MCPServer:
    """An MCP server with the notes tools."""
    from importlib.metadata import version

    from mcp.server.mcpserver import MCPServer

    tools = NotesTools(settings, allow_secrets)
    server = MCPServer("agentnotes", version=version("agentnotes"), instructions=INSTRUCTIONS)
    for method in (tools.search, tools.ask, tools.read_note, tools.list_experiments, tools.show_experiment):
        server.add_tool(_guarded(tools, method), name=method.__name__)
    return server


def serve(settings: Settings, allow_secrets: bool = False) -> None:
    """Serve the notes over stdio until the client closes the connection."""
    build_server(settings, allow_secrets).run("stdio")
