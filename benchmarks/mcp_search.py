"""A search through the MCP server against the same search through the command, on the real notes.

The notes are ingested into a temporary home once (or an existing home is reused with --home).
Then the same N questions (the retrieval eval questions, no LLM rewrite, k=5) are searched:
  - through the command line app in this process (`search --json`, output captured),
  - through the MCP tool `search`, by the SDK's client, against one running `agentnotes mcp`,
  - as the command a user runs (`agentnotes search --json`, one process per search).
After one warm-up search each, it prints the median seconds per search, the MCP / command
ratios (target: 1 or less) and whether both paths returned the same hits.

Run: python benchmarks/mcp_search.py [--notes DIR] [--n 10] [--home DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import NOTES, QUESTIONS, temp_home

K = 5


def questions(n: int) -> list[str]:
    lines = [json.loads(line) for path in QUESTIONS if path.is_file()
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [line["question"] for line in lines][:n]


def where(hits: list[dict]) -> list[tuple[str, int, int]]:
    return [(h["source"], h["start_line"], h["end_line"]) for h in hits]


def command_args(query: str) -> list[str]:
    return ["search", query, "-k", str(K), "--json", "--no-rewrite"]


def command_function(query: str) -> list[dict]:
    """`agentnotes search QUERY --json --no-rewrite` run by the command line app in this process."""
    from typer.testing import CliRunner

    from agentnotes.cli import app

    result = CliRunner().invoke(app, command_args(query))
    if result.exit_code:
        raise SystemExit(f"search failed: {result.output}")
    return json.loads(result.stdout)


def command_process(query: str) -> list[dict]:
    done = subprocess.run([sys.executable, "-m", "agentnotes", *command_args(query)], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout)


def timed(call, query: str) -> tuple[float, list[dict]]:
    start = time.perf_counter()
    hits = call(query)
    return time.perf_counter() - start, hits


async def run(queries: list[str]) -> dict[str, list]:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    env = {name: os.environ[name] for name in ("AGENTNOTES_HOME", "AGENTNOTES_MODELS_DIR")}
    params = StdioServerParameters(command=sys.executable, args=["-m", "agentnotes", "mcp"], env=env)
    results: dict[str, list] = {"function": [], "mcp": [], "same": []}
    start = time.perf_counter()
    async with Client(params, read_timeout_seconds=600) as client:
        results["server_start_s"] = [time.perf_counter() - start]

        async def mcp_search(query: str) -> tuple[float, list[dict]]:
            begin = time.perf_counter()
            reply = await client.call_tool("search", {"query": query, "k": K, "rewrite": False})
            if reply.is_error:
                raise SystemExit(f"MCP search failed: {reply.content}")
            return time.perf_counter() - begin, reply.structured_content["hits"]

        results["mcp_first_s"] = [(await mcp_search(queries[0]))[0]]
        results["function_first_s"] = [timed(command_function, queries[0])[0]]
        for query in queries:
            function_s, function_hits = timed(command_function, query)
            mcp_s, mcp_hits = await mcp_search(query)
            results["function"].append(function_s)
            results["mcp"].append(mcp_s)
            results["same"].append(where(function_hits) == where(mcp_hits))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notes", type=Path, default=NOTES, help="notes to ingest (default: the shared notes)")
    parser.add_argument("--n", type=int, default=10, help="searches per path")
    parser.add_argument("--home", type=Path, help="reuse this AGENTNOTES_HOME (ingest is incremental)")
    args = parser.parse_args()
    if not args.notes.is_dir():
        raise SystemExit(f"skipped: {args.notes} not found")
    if args.home:
        os.environ["AGENTNOTES_HOME"] = str(args.home)
        os.environ.setdefault("AGENTNOTES_MODELS_DIR", str(Path.home() / ".cache" / "agentnotes-test-models"))
    else:
        temp_home("mcp-search")
    import anyio

    from agentnotes.index.ingest import ingest
    from agentnotes.settings import load_settings

    start = time.perf_counter()
    report = ingest(load_settings(), [args.notes])
    print(f"ingest: {report.chunks_total} chunks from {len(report.new) + len(report.changed) + len(report.unchanged)} "
          f"files in {time.perf_counter() - start:.1f}s ({os.environ['AGENTNOTES_HOME']})")
    queries = questions(args.n)
    results = anyio.run(run, queries)
    process = [timed(command_process, q)[0] for q in queries]
    function, mcp = statistics.median(results["function"]), statistics.median(results["mcp"])
    print(f"{len(queries)} searches, k={K}, no rewrite; median seconds per search:")
    print(f"  command, as a process each time (agentnotes search --json): {statistics.median(process):.3f}")
    print(f"  command line app, in this process (same function):         {function:.3f} "
          f"(first {results['function_first_s'][0]:.3f})")
    print(f"  MCP tool search, one running server:                        {mcp:.3f} "
          f"(first {results['mcp_first_s'][0]:.3f}; server start {results['server_start_s'][0]:.2f})")
    print(f"MCP / command in process = {mcp / function:.2f}; MCP / command process = {mcp / statistics.median(process):.2f} "
          "(target: 1 or less)")
    print(f"same hits (file and lines) on both paths: {sum(results['same'])}/{len(queries)}")


if __name__ == "__main__":
    main()
