"""PNG plots from metrics.json: learning curves per arm and the final metric per seed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CURVES_PNG = "curves.png"
FINAL_PNG = "final.png"
_COLORS = {"baseline": "tab:gray", "idea": "tab:blue"}


def make_plots(metrics: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write curves.png and final.png into out_dir; returns the files written (none without runs)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arms = {name: arm.get("runs") or [] for name, arm in (metrics.get("arms") or {}).items()}
    if not any(arms.values()):
        return []
    out_dir = Path(out_dir)
    metric = metrics.get("metric", "metric")
    written = [_curves(plt, arms, metric, out_dir / CURVES_PNG), _final(plt, arms, metrics, out_dir / FINAL_PNG)]
    plt.close("all")
    return written


def _band(runs: list[dict[str, Any]], key: str) -> tuple[Any, Any, Any]:
    """Steps, mean and std over seeds of one curve; runs that stopped early count where they have points."""
    import numpy as np

    longest = max((r.get("steps") or [] for r in runs), key=len)
    table = np.full((len(runs), len(longest)), np.nan)
    for row, run in enumerate(runs):
        values = [np.nan if v is None else v for v in (run.get(key) or [])][: len(longest)]
        table[row, : len(values)] = values
    with np.errstate(all="ignore"):
        counts = np.sum(~np.isnan(table), axis=0)
        mean = np.where(counts > 0, np.nansum(table, axis=0) / np.maximum(counts, 1), np.nan)
        std = np.sqrt(np.where(counts > 1, np.nansum((table - mean) ** 2, axis=0) / np.maximum(counts - 1, 1), 0.0))
    return np.asarray(longest), mean, std


def _curves(plt: Any, arms: dict[str, list[dict[str, Any]]], metric: str, path: Path) -> Path:
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key, title in ((axes[0], "train_loss", "training loss"), (axes[1], "val_metric", f"validation {metric.removeprefix('test_')}")):
        for name, runs in arms.items():
            if not runs or not any(r.get("steps") for r in runs):
                continue
            steps, mean, std = _band(runs, key)
            color = _COLORS.get(name)
            ax.plot(steps, mean, label=f"{name} (n={len(runs)})", color=color)
            ax.fill_between(steps, mean - std, mean + std, alpha=0.25, color=color)
        ax.set_xlabel("step")
        ax.set_title(f"{title}: mean ± std over seeds")
        ax.grid(alpha=0.3)
        ax.legend()
    losses = [v for runs in arms.values() for r in runs for v in r.get("train_loss") or [] if v is not None]
    if losses and min(losses) > 0 and max(losses) / min(losses) > 20:  # log scale only when it spans decades
        axes[0].set_yscale("log")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def _final(plt: Any, arms: dict[str, list[dict[str, Any]]], metrics: dict[str, Any], path: Path) -> Path:
    metric = metrics.get("metric", "metric")
    better = "higher" if metrics.get("higher_is_better") else "lower"
    fig, ax = plt.subplots(figsize=(5, 4))
    names = list(arms)
    by_seed: dict[Any, list[tuple[int, float]]] = {}
    for x, name in enumerate(names):
        values = [(r.get("seed"), r.get("final_metric")) for r in arms[name]]
        finite = [v for _, v in values if v is not None]
        for seed, value in values:
            if value is not None:
                by_seed.setdefault(seed, []).append((x, value))
        ax.scatter([x] * len(finite), finite, color=_COLORS.get(name), alpha=0.7, zorder=3)
        if finite:
            mean = sum(finite) / len(finite)
            ax.hlines(mean, x - 0.2, x + 0.2, color="black", linewidth=2, zorder=4)
    for points in by_seed.values():  # lines join the two arms of one seed: the test is paired
        if len(points) == 2:
            ax.plot([p[0] for p in points], [p[1] for p in points], color="lightgray", zorder=1)
    ax.set_xticks(range(len(names)), names)
    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.set_ylabel(f"{metric} ({better} is better)")
    ax.set_title("final metric per seed (bar = mean)")
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path
