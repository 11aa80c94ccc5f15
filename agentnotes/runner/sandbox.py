"""run_sandboxed(): run an untrusted program with its run dir as the only writable place.

Layers, best available first (fail closed: none available means refuse, unless unsafe is asked):
- "bwrap": bubblewrap with every namespace unshared (no network, own PID namespace), a tmpfs
  root with read-only system and Python dirs and the run dir writable; plus seccomp and rlimits.
- "landlock+seccomp": for machines without bubblewrap (e.g. GPU hosts): Landlock limits the
  filesystem (and TCP), seccomp denies IPv4/IPv6 sockets, `unshare` adds a PID and network
  namespace where it can.
Both: a clean environment (no keys or tokens), rlimits, a pids cgroup when one can be made,
and a tree kill on timeout or Ctrl-C that also finds double-forked `setsid` descendants.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agentnotes.errors import SandboxError
from agentnotes.runner.gpu import acquire_gpu

CONFINE = Path(__file__).with_name("confine.py")
PIDS_CGROUP = Path("/sys/fs/cgroup/pids")
PYTHON = os.path.normpath(os.path.abspath(sys.executable))  # the sandbox sees only some paths: no `..`
FORCE_ENV = "AGENTNOTES_SANDBOX"  # "bwrap" or "landlock": force a layer (tests, diagnosis)
_ENV_KEEP = ("PATH", "LANG", "LC_ALL", "TZ", "TERM", "LD_LIBRARY_PATH")  # no keys or tokens
_DEV_NODES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty")


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 600
    memory_mb: int = 8192
    cpu_s: int | None = None
    max_procs: int = 256
    max_file_mb: int = 1024
    max_open_files: int = 1024


@dataclass(frozen=True)
class RunResult:
    returncode: int | None
    status: str  # "ok" | "failed" | "timeout" | "killed" | "interrupted"
    duration_s: float
    isolation: str
    device: str
    stdout_path: Path
    stderr_path: Path
    reason: str


@dataclass(frozen=True)
class IsolationReport:
    available: bool
    layer: str
    summary: str
    fix: str


def _bwrap_works() -> bool:
    if not shutil.which("bwrap"):
        return False
    probe = subprocess.run(["bwrap", "--unshare-all", "--ro-bind", "/", "/", "--", "true"], capture_output=True, timeout=20)
    return probe.returncode == 0


def _landlock_abi() -> int:
    probe = subprocess.run([PYTHON, "-c", "import runpy,sys; m=runpy.run_path(sys.argv[1]); print(m['landlock_abi']())",
                            str(CONFINE)], capture_output=True, text=True, timeout=20)
    return int(probe.stdout.strip() or 0) if probe.returncode == 0 else 0


def describe_isolation() -> IsolationReport:
    """Which layer would run generated code here, and why not the others."""
    forced = os.environ.get(FORCE_ENV, "")
    bwrap = forced != "landlock" and _bwrap_works()
    abi = _landlock_abi() if forced != "bwrap" else 0
    if bwrap:
        return IsolationReport(True, "bwrap", "bubblewrap namespaces + seccomp + rlimits", "")
    if abi >= 1:
        return IsolationReport(True, "landlock+seccomp", f"Landlock ABI {abi} + seccomp + rlimits (no bubblewrap)",
                               "apt-get install bubblewrap for namespace isolation")
    return IsolationReport(False, "none", "no bubblewrap and no Landlock: generated code will not run",
                           "apt-get install bubblewrap (or use a kernel with Landlock), or pass --unsafe")


def _python_dirs() -> list[str]:
    dirs = {sys.prefix, sys.base_prefix, os.path.dirname(os.path.dirname(os.path.realpath(PYTHON)))}
    return sorted(d for d in dirs if d and d != "/")


def _env(run_dir: Path, gpu_index: int | None, marker: str) -> dict[str, str]:
    env = {k: os.environ[k] for k in _ENV_KEEP if k in os.environ}
    env.update(HOME=str(run_dir), TMPDIR=str(run_dir / "tmp"), USER="sandbox", LOGNAME="sandbox",
               TORCHINDUCTOR_CACHE_DIR=str(run_dir / "tmp" / "inductor"), PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1",
               MPLBACKEND="Agg", OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "2"), AGENTNOTES_SANDBOX_ID=marker,
               CUDA_VISIBLE_DEVICES="" if gpu_index is None else str(gpu_index))
    env.setdefault("PATH", "/usr/bin:/bin")
    return env


def _rlimits(limits: Limits, gpu: bool) -> dict[str, int]:
    out = {"RLIMIT_NPROC": limits.max_procs, "RLIMIT_FSIZE": limits.max_file_mb << 20,
           "RLIMIT_NOFILE": limits.max_open_files, "RLIMIT_CORE": 0}
    if limits.cpu_s:
        out["RLIMIT_CPU"] = limits.cpu_s
    if not gpu:  # RLIMIT_AS breaks CUDA initialisation, so GPU runs rely on the timeout instead
        out["RLIMIT_AS"] = limits.memory_mb << 20
    return out


def _nvidia_devices() -> list[str]:
    return sorted(str(p) for p in Path("/dev").glob("nvidia*"))


def _bwrap_argv(run_dir: Path, confine_cfg: dict, program: list[str], gpu: bool, env: dict[str, str]) -> list[str]:
    argv = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--clearenv",
            *[arg for key, value in env.items() for arg in ("--setenv", key, value)],
            "--tmpfs", "/", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for path in ("/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc/ld.so.cache", "/etc/alternatives", "/sys/devices/system/cpu"):
        if os.path.exists(path):
            argv += ["--ro-bind", path, path] if not os.path.islink(path) else ["--symlink", os.readlink(path), path]
    for path in _python_dirs() + [str(CONFINE.parent)]:
        argv += ["--ro-bind", path, path]
    if gpu:
        for dev in _nvidia_devices():
            argv += ["--dev-bind", dev, dev]
    argv += ["--bind", str(run_dir), str(run_dir), "--remount-ro", "/", "--chdir", str(run_dir)]
    return argv + ["--", PYTHON, str(CONFINE), json.dumps(confine_cfg), "--", *program]


def _landlock_argv(run_dir: Path, confine_cfg: dict, program: list[str], gpu: bool) -> list[str]:
    ro = ["/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc/ld.so.cache", "/etc/alternatives", "/proc", "/sys",
          *_python_dirs(), str(CONFINE.parent)]
    dev = list(_DEV_NODES) + (_nvidia_devices() + ["/dev/shm"] if gpu else [])
    cfg = {**confine_cfg, "landlock": {"ro": ro, "rw": [str(run_dir)], "dev": dev}}
    launcher = [PYTHON, str(CONFINE), json.dumps(cfg), "--", *program]
    if shutil.which("unshare") and subprocess.run(["unshare", "--fork", "--pid", "--kill-child", "--net", "true"],
                                                   capture_output=True).returncode == 0:
        return ["unshare", "--fork", "--pid", "--kill-child", "--net", *launcher]
    return launcher


class _Cgroup:
    """A pids cgroup (v1 or v2) capping the process count of the whole tree, when one can be made."""

    def __init__(self, name: str, max_procs: int) -> None:
        self.path: Path | None = None
        for root in (PIDS_CGROUP, Path("/sys/fs/cgroup")):
            try:
                path = root / f"agentnotes-{name}"
                path.mkdir()
                (path / "pids.max").write_text(str(max_procs))
                self.path = path
                return
            except OSError:
                continue

    def add(self, pid: int) -> None:
        if self.path:
            try:
                (self.path / "cgroup.procs").write_text(str(pid))
            except OSError:
                pass

    def pids(self) -> list[int]:
        if not self.path:
            return []
        try:
            return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def remove(self) -> None:
        if self.path:
            for _ in range(50):
                try:
                    self.path.rmdir()
                    return
                except OSError:
                    time.sleep(0.05)


def _marked_pids(marker: str) -> list[int]:
    """Processes whose environment carries this run's marker (descendants that escaped the group)."""
    found = []
    needle = f"AGENTNOTES_SANDBOX_ID={marker}".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _kill_tree(proc: subprocess.Popen, cgroup: _Cgroup, marker: str) -> None:
    """SIGKILL the process group, then every process left in the cgroup (or, without one, every
    process carrying the run's marker: a double-forked `setsid` grandchild escapes the group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        left = cgroup.pids() if cgroup.path else _marked_pids(marker)
        if not left:
            return
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.05)


def _pump(stream, path: Path, on_output: Callable[[str], None] | None) -> None:
    with open(path, "w", encoding="utf-8", errors="replace") as out:
        for line in iter(stream.readline, ""):
            out.write(line)
            out.flush()
            if on_output:
                on_output(line.rstrip("\n"))


def run_sandboxed(argv: list[str], run_dir: Path, limits: Limits = Limits(), *, use_gpu: bool = True,
                  allow_unsafe: bool = False, on_output: Callable[[str], None] | None = None) -> RunResult:
    """Run `argv` with cwd = run_dir inside the best available sandbox; see the module docstring."""
    run_dir = Path(run_dir).resolve()
    (run_dir / "tmp").mkdir(parents=True, exist_ok=True)
    if os.sep in argv[0]:  # as for PYTHON: an absolute path without `..`
        argv = [os.path.normpath(os.path.abspath(argv[0])), *argv[1:]]
    report = describe_isolation()
    if not report.available and not allow_unsafe:
        raise SandboxError(f"No sandbox is available here ({report.summary}). Fix: {report.fix}.")
    layer = report.layer if report.available else "none (unsafe)"
    with acquire_gpu(wait_message=on_output) if use_gpu else _no_gpu() as gpu:
        device = f"cuda:{gpu.index} {gpu.name}" if gpu else "cpu"
        marker = uuid.uuid4().hex
        confine_cfg = {"rlimits": _rlimits(limits, gpu is not None), "seccomp": True}
        env = _env(run_dir, gpu.index if gpu else None, marker)
        if layer == "bwrap":
            command = _bwrap_argv(run_dir, confine_cfg, argv, gpu is not None, env)
        elif layer == "landlock+seccomp":
            command = _landlock_argv(run_dir, confine_cfg, argv, gpu is not None)
        else:
            command = [PYTHON, str(CONFINE), json.dumps({**confine_cfg, "seccomp": False}), "--", *argv]
        return _execute(command, run_dir, limits, env, marker, layer, device, on_output)


def _no_gpu():
    from contextlib import nullcontext

    return nullcontext(None)


def _execute(command: list[str], run_dir: Path, limits: Limits, env: dict[str, str], marker: str, layer: str,
             device: str, on_output: Callable[[str], None] | None) -> RunResult:
    stdout_path, stderr_path = run_dir / "stdout.txt", run_dir / "stderr.txt"
    cgroup = _Cgroup(marker[:12], limits.max_procs)
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=run_dir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: cgroup.add(os.getpid()))  # join before anything can fork
    pumps = [threading.Thread(target=_pump, args=(proc.stdout, stdout_path, on_output), daemon=True),
             threading.Thread(target=_pump, args=(proc.stderr, stderr_path, None), daemon=True)]
    for t in pumps:
        t.start()
    status, reason = "ok", "exited normally"
    try:
        proc.wait(timeout=limits.timeout_s)
    except subprocess.TimeoutExpired:
        status, reason = "timeout", f"killed after the {limits.timeout_s:.0f}s time limit"
    except KeyboardInterrupt:
        status, reason = "interrupted", "interrupted by the user (Ctrl-C)"
    finally:
        _kill_tree(proc, cgroup, marker)
        proc.wait()
        for t in pumps:
            t.join(timeout=5)
        cgroup.remove()
    duration = time.perf_counter() - start
    code = proc.returncode
    if status == "ok" and code != 0:
        if code < 0:
            status, reason = "killed", f"killed by {signal.Signals(-code).name} (memory or process limit?)"
        else:
            tail = stderr_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:] if stderr_path.exists() else []
            status, reason = "failed", f"exit code {code}" + (f": {tail[0][:300]}" if tail else "")
            if any("MemoryError" in t or "Cannot allocate memory" in t for t in tail):
                status = "killed"
                reason = f"out of memory (limit {limits.memory_mb} MB): {tail[0][:200]}"
    return RunResult(code, status, duration, layer, device, stdout_path, stderr_path, reason)
