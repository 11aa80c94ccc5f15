"""The real sandbox, for each isolation layer: what generated code must not be able to do."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agentnotes.errors import SandboxError
from agentnotes.runner import sandbox
from agentnotes.runner.sandbox import Limits, describe_isolation, run_sandboxed

LAYERS = [pytest.param("bwrap", marks=pytest.mark.skipif(not shutil.which("bwrap"), reason="bubblewrap not installed")),
          "landlock"]


@pytest.fixture(params=LAYERS)
def layer(request, monkeypatch) -> str:
    monkeypatch.setenv(sandbox.FORCE_ENV, request.param)
    report = describe_isolation()
    if not report.available:
        pytest.skip(f"{request.param} not available here: {report.summary}")
    return report.layer


def processes_in(folder: Path) -> list[int]:
    """Live processes whose working directory is `folder` (what the sandbox left behind)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and Path(os.readlink(entry / "cwd")) == folder.resolve():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def run(tmp_path: Path, code: str, **limits) -> tuple[sandbox.RunResult, str]:
    run_dir = tmp_path / "run"
    run_dir.mkdir(exist_ok=True)
    (run_dir / "script.py").write_text(textwrap.dedent(code), encoding="utf-8")
    result = run_sandboxed([sys.executable, "script.py"], run_dir, Limits(**{"timeout_s": 20, **limits}), use_gpu=False)
    return result, result.stdout_path.read_text(encoding="utf-8")


def test_runs_python_with_torch_and_writes_only_its_run_dir(tmp_path: Path, layer: str) -> None:
    result, out = run(tmp_path, """
        import torch
        print("sum", float(torch.ones(3).sum()))
        open("result.txt", "w").write("ok")
    """)
    assert result.status == "ok" and result.isolation == layer and "sum 3.0" in out
    assert (tmp_path / "run" / "result.txt").read_text() == "ok"


def test_interpreter_named_by_a_relative_path_with_dots(tmp_path: Path, layer: str) -> None:
    """`../.venv/bin/python tool.py` is a common way to start Python; the sandbox must still find it."""
    elsewhere = tmp_path / "elsewhere"  # a folder the sandbox does not mount
    elsewhere.mkdir()
    dotted = os.path.relpath(sys.executable, elsewhere)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "script.py").write_text("print('hello')\n", encoding="utf-8")
    launcher = ("import sys; from agentnotes.runner.sandbox import Limits, run_sandboxed; "
                f"r = run_sandboxed([sys.executable, 'script.py'], {str(run_dir)!r}, Limits(timeout_s=20), use_gpu=False); "
                "print(r.status, open(r.stdout_path).read())")
    out = subprocess.run([dotted, "-c", launcher], cwd=elsewhere, capture_output=True, text=True,
                         env={**os.environ, sandbox.FORCE_ENV: layer.split("+")[0]})
    assert out.stdout.split() == ["ok", "hello"], out.stderr[-500:]


def test_files_outside_the_run_dir_cannot_be_read(tmp_path: Path, layer: str, agentnotes_home: Path) -> None:
    private = tmp_path / "home-secret.txt"
    private.write_text("top secret")
    (agentnotes_home / "store").mkdir(exist_ok=True)
    (agentnotes_home / "store" / "catalog.sqlite").write_text("notes")
    result, out = run(tmp_path, f"""
        for path in ["/etc/shadow", {str(private)!r}, {str(agentnotes_home / 'store' / 'catalog.sqlite')!r}]:
            try:
                print("READ", path, open(path).read()[:5])
            except OSError as exc:
                print("blocked", path, type(exc).__name__)
    """)
    assert result.status == "ok"
    assert "READ" not in out and out.count("blocked") == 3


def test_api_keys_do_not_reach_the_child(tmp_path: Path, layer: str, monkeypatch) -> None:
    monkeypatch.setenv("FAKE_API_KEY", "sk-should-not-leak")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_should_not_leak")
    result, out = run(tmp_path, """
        import os
        print(sorted(k for k in os.environ if "KEY" in k or "TOKEN" in k), "sk-should" in str(os.environ))
    """)
    assert result.status == "ok" and out.strip() == "[] False"


def test_writes_outside_the_run_dir_change_nothing(tmp_path: Path, layer: str) -> None:
    target = tmp_path / "outside.txt"
    result, out = run(tmp_path, f"""
        for path in [{str(target)!r}, "/usr/evil.txt", "/tmp/../evil.txt"]:
            try:
                open(path, "w").write("x")
                print("wrote", path)
            except OSError as exc:
                print("blocked", type(exc).__name__)
    """)
    assert not target.exists() and not Path("/usr/evil.txt").exists() and not Path("/evil.txt").exists()
    assert result.status == "ok"


def test_tcp_and_udp_sockets_are_blocked(tmp_path: Path, layer: str) -> None:
    result, out = run(tmp_path, """
        import socket
        for family, kind in [(socket.AF_INET, socket.SOCK_STREAM), (socket.AF_INET, socket.SOCK_DGRAM),
                             (socket.AF_INET6, socket.SOCK_STREAM), (socket.AF_INET6, socket.SOCK_DGRAM)]:
            try:
                s = socket.socket(family, kind)
                s.connect(("127.0.0.1", 9) if family == socket.AF_INET else ("::1", 9))
                s.send(b"x")
                print("open")
            except OSError as exc:
                print("blocked", exc.errno)
    """)
    assert result.status == "ok" and "open" not in out and out.count("blocked") == 4


def test_endless_loop_is_killed_at_the_time_limit(tmp_path: Path, layer: str) -> None:
    result, _ = run(tmp_path, "while True:\n    pass\n", timeout_s=2)
    assert result.status == "timeout" and result.duration_s < 15


def test_unbounded_allocation_is_stopped(tmp_path: Path, layer: str) -> None:
    result, _ = run(tmp_path, "x = []\nwhile True:\n    x.append(bytearray(50_000_000))\n", memory_mb=512)
    assert result.status == "killed" and "memory" in result.reason


@pytest.mark.skipif(os.geteuid() == 0 and not (sandbox.PIDS_CGROUP.exists() or Path("/sys/fs/cgroup/pids.max").exists()),
                    reason="as root only a pids cgroup can cap a fork bomb, and none can be made here")
def test_fork_bomb_is_contained_and_killed(tmp_path: Path, layer: str) -> None:
    result, _ = run(tmp_path, """
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
    """, timeout_s=3, max_procs=48)
    assert result.status in ("timeout", "killed")
    assert processes_in(tmp_path / "run") == []


def test_setsid_grandchild_does_not_survive(tmp_path: Path, layer: str) -> None:
    result, _ = run(tmp_path, """
        import subprocess, sys, time
        subprocess.Popen([sys.executable, "-c",
            "import os, time\\nos.setsid()\\nif os.fork() == 0:\\n    time.sleep(300)\\n    open('late.txt', 'w').write('x')\\n"])
        time.sleep(1)
    """)
    assert result.status == "ok"
    assert processes_in(tmp_path / "run") == []


def test_without_isolation_the_runner_refuses_unless_unsafe(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(sandbox, "describe_isolation",
                        lambda: sandbox.IsolationReport(False, "none", "nothing available", "install bubblewrap"))
    (tmp_path / "s.py").write_text("print('ran')")
    with pytest.raises(SandboxError, match="install bubblewrap"):
        run_sandboxed([sys.executable, "s.py"], tmp_path, use_gpu=False)
    result = run_sandboxed([sys.executable, "s.py"], tmp_path, use_gpu=False, allow_unsafe=True)
    assert result.status == "ok" and result.isolation == "none (unsafe)"


def test_an_experiment_with_runs_side_by_side_finishes_in_the_sandbox(tmp_path: Path, layer: str) -> None:
    """Two worker processes where the layer allows them (bubblewrap); one after another where it has no shared
    semaphores (Landlock denies /dev/shm): the same results either way."""
    import json

    from agentnotes.experiments.lab.assemble import assemble_script
    from agentnotes.experiments.lab.config import ExperimentConfig

    script = assemble_script("", ExperimentConfig(seeds=(0, 1, 2), steps=20, eval_every=10, lr_grid=()))
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "experiment.py").write_text(script.replace('\nCPU_WORKERS = "auto"', "\nCPU_WORKERS = 2", 1))
    result = run_sandboxed([sys.executable, "experiment.py"], run_dir, Limits(timeout_s=120), use_gpu=False)
    assert result.status == "ok", result.stderr_path.read_text()[-2000:]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert [[r["seed"] for r in metrics["arms"][arm]["runs"]] for arm in ("baseline", "idea")] == [[0, 1, 2], [0, 1, 2]]
