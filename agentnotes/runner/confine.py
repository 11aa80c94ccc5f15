"""Applied inside the sandboxed child just before it execs the untrusted program.

Usage: python confine.py CONFIG_JSON -- PROGRAM [ARGS...]
CONFIG_JSON keys: rlimits {name: value}, landlock {"ro": [...], "rw": [...], "dev": [...]} or null,
seccomp (bool: deny IPv4/IPv6 sockets). Stdlib only; run as a file, not imported by the parent.
"""

from __future__ import annotations

import ctypes
import json
import os
import platform
import resource
import struct
import sys

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1

# Landlock filesystem rights
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
WRITE_DIR_RIGHTS = sum(1 << i for i in range(4, 13))  # remove/make dir, file, sock, fifo, char, block, sym
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 when unavailable."""
    abi = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    return max(int(abi), 0)


def _fs_rights(abi: int) -> int:
    rights = EXECUTE | WRITE_FILE | READ_FILE | READ_DIR | WRITE_DIR_RIGHTS
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


def apply_landlock(ro: list[str], rw: list[str], dev: list[str]) -> None:
    """Allow reading `ro`, everything in `rw`, read-write(+ioctl) on `dev`; deny the rest and TCP."""
    abi = landlock_abi()
    if abi < 1:
        raise OSError("Landlock is not available")
    handled = _fs_rights(abi)
    if abi >= 4:
        attr = struct.pack("QQ", handled, NET_BIND_TCP | NET_CONNECT_TCP)
    else:
        attr = struct.pack("Q", handled)
    buf = ctypes.create_string_buffer(attr, len(attr))
    fd = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, buf, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
    if fd < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    read = EXECUTE | READ_FILE | READ_DIR
    rules = [(p, read) for p in ro] + [(p, handled) for p in rw] + [(p, read | WRITE_FILE | (handled & (TRUNCATE | IOCTL_DEV))) for p in dev]
    for path, rights in rules:
        try:
            parent = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue  # a path that does not exist here needs no rule
        if not os.path.isdir(path):
            rights &= EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
        rule = ctypes.create_string_buffer(struct.pack("=Qi", rights & handled, parent), 12)
        if _libc.syscall(SYS_LANDLOCK_ADD_RULE, ctypes.c_int(fd), ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH), rule, ctypes.c_uint32(0)) < 0:
            raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
        os.close(parent)
    if _libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(fd), ctypes.c_uint32(0)) < 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    os.close(fd)


def _bpf(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def apply_seccomp_no_inet() -> None:
    """Deny socket(AF_INET|AF_INET6, ...) with EACCES; everything else is allowed (x86_64, aarch64)."""
    arch, nr_socket = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}[platform.machine()]
    ld_w_abs, jeq_k, ret_k = 0x20, 0x15, 0x06
    allow, errno_eacces, kill = 0x7FFF0000, 0x00050000 | 13, 0x80000000
    program = b"".join([
        _bpf(ld_w_abs, 0, 0, 4),          # arch
        _bpf(jeq_k, 1, 0, arch),
        _bpf(ret_k, 0, 0, kill),
        _bpf(ld_w_abs, 0, 0, 0),          # syscall number
        _bpf(jeq_k, 0, 4, nr_socket),
        _bpf(ld_w_abs, 0, 0, 16),         # args[0]: the address family
        _bpf(jeq_k, 1, 0, 2),             # AF_INET
        _bpf(jeq_k, 0, 1, 10),            # AF_INET6
        _bpf(ret_k, 0, 0, errno_eacces),
        _bpf(ret_k, 0, 0, allow),
    ])
    filters = ctypes.create_string_buffer(program, len(program))
    prog = struct.pack("HxxxxxxP", len(program) // 8, ctypes.addressof(filters))
    prog_buf = ctypes.create_string_buffer(prog, len(prog))
    if _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog_buf, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "seccomp filter failed")


def main() -> None:
    config = json.loads(sys.argv[1])
    program = sys.argv[sys.argv.index("--") + 1 :]
    for name, value in config.get("rlimits", {}).items():
        resource.setrlimit(getattr(resource, name), (value, value))
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "no_new_privs failed")
    if config.get("landlock"):
        rules = config["landlock"]
        # CUDA writes under /proc/self; after exec this process keeps its pid, so the rule stays its own
        apply_landlock(rules["ro"], rules["rw"] + [f"/proc/{os.getpid()}"], rules["dev"])
    if config.get("seccomp"):
        apply_seccomp_no_inet()
    os.execvp(program[0], program)


if __name__ == "__main__":
    main()
