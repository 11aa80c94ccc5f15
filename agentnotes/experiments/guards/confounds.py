"""Confounds: where the idea arm differs from the baseline arm, and which differences its kind does not explain.

Input: the arms.json of `python experiment.py --describe` (both arms built from one seed, with
their modules, parameter shapes and initial-value fingerprints, optimizer and hook probes).
`compare` names every difference with its category (CATEGORIES); a difference whose category
the idea's kind does not allow is a confound: `confound_problems` phrases it for the code
generator, `diff_table` shows all differences in the report.

The model is read as a list of units: the children of containers (Sequential, ModuleList,
ModuleDict and the root model), recursively. A unit holding a parameter of two or more
dimensions, or a normalisation, is a weight layer; a unit without such parameters is an
activation, unless it only reshapes, pools or drops (STRUCTURAL).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agentnotes.errors import ExperimentError
from agentnotes.experiments.guards.problems import Problem

CATEGORIES = ("layers", "activation", "architecture", "init", "optimizer", "loss", "batch", "lr", "weights")
CONTAINERS = frozenset({"Sequential", "ModuleList", "ModuleDict"})
STRUCTURAL = frozenset({
    "Flatten", "Unflatten", "Identity", "Dropout", "Dropout1d", "Dropout2d", "MaxPool1d", "MaxPool2d", "AvgPool1d",
    "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
})
# What the code generator can do about a confound of each category.
_FIXES = {
    "architecture": "keep the baseline's layers and widths (build with baseline_model or the helper it uses) "
                    "and change only what the idea changes",
    "layers": "keep the baseline's layer classes",
    "activation": "keep the baseline's activation",
    "init": "keep the layers' default initialisation",
    "optimizer": "do not define make_optimizer, or return baseline_optimizer(params, lr)",
    "lr": "train at the lr the harness passes and do not define lr_at",
    "loss": "do not define compute_loss, or return task_loss(out, y)",
    "batch": "do not define transform_batch, batch_size_at or choose_batch",
    "weights": "do not change the weights in after_step",
}


@dataclass(frozen=True)
class Difference:
    """One way the idea arm differs from the baseline; `allowed` when the idea's kind calls for it."""

    category: str
    message: str
    allowed: bool


@dataclass(frozen=True)
class _Unit:
    path: str
    cls: str
    params: tuple[tuple[str, tuple[int, ...], str], ...]  # (name inside the unit, shape, fingerprint)
    output: tuple[int, ...] | None

    @property
    def weighted(self) -> bool:
        return "norm" in self.cls.lower() or any(len(shape) >= 2 for _, shape, _ in self.params)


def compare(arms_json: dict[str, Any], allowed: set[str]) -> list[Difference]:
    """Every difference between the arms of `arms_json`, model first; categories outside `allowed` are confounds."""
    if arms_json.get("error") or not all(arm in (arms_json.get("arms") or {}) for arm in ("baseline", "idea")):
        raise ExperimentError(f"arms.json holds no description of both arms: {arms_json.get('error')}")
    base, idea = arms_json["arms"]["baseline"], arms_json["arms"]["idea"]
    found = [*_model(base, idea), *_optimizer(base["optimizer"], idea["optimizer"]), *_probes(base["probes"], idea["probes"])]
    return [Difference(category, message, category in allowed) for category, message in found]


def confound_problems(differences: Sequence[Difference]) -> list[Problem]:
    """The differences the idea's kind does not allow, as Problems of kind "confound" for the code generator."""
    return [Problem("confound", f"the idea arm differs from the baseline where the idea says nothing: {d.message}; "
                                f"{_FIXES[d.category]}") for d in differences if not d.allowed]


def cannot_learn(arms_json: dict[str, Any]) -> list[Problem]:
    """Problems that keep the idea arm from learning where the baseline does: every weight matrix started at one value
    (every unit of a layer computes the same thing and gets the same update, for good: an initialisation meant for
    some layers written for all of them), an output layer whose input is the same for every sample at the start
    (nothing of the input reaches it), or an optimizer whose steps change no weight (an update rule that computes
    the new weights and never writes them into the parameters)."""
    idea, base = arms_json["arms"]["idea"], arms_json["arms"]["baseline"]
    problems = []
    if _starts_symmetric(idea) and not _starts_symmetric(base):
        problems.append(Problem("symmetric_start", "every weight matrix of the idea arm starts at one value (std 0), so "
                                "every unit of a layer computes the same thing and gets the same update: the network "
                                "cannot learn. Initialise only the layers and tensors the notes name and keep the "
                                "default initialisation of every other layer"))
    elif idea["probes"].get("head_input_varies") is False and base["probes"].get("head_input_varies"):
        problems.append(Problem("input_blind", "at the start, the idea arm's output layer gets the same input for every "
                                "sample: nothing of the input reaches it, so the network cannot learn (an activation or "
                                "layer that starts as a constant, e.g. all its coefficients at zero). Start the idea's "
                                "parameters where the notes start them, else where they pass the input on"))
    if idea["probes"].get("optimizer_moves") is False and base["probes"].get("optimizer_moves"):
        problems.append(Problem("frozen_weights", "three optimizer steps of the idea arm on one batch change no weight: "
                                "the network cannot learn. The update must change each parameter in place (p.sub_(...), "
                                "p.add_(...), p.copy_(new_value)); a new value kept in a local name or in state leaves "
                                "the weights where they were"))
    return problems


def _starts_symmetric(arm: dict[str, Any]) -> bool:
    stds = [_std(fingerprint) for _, shape, fingerprint in arm["params"] if len(shape) >= 2]
    return bool(stds) and all(std == 0.0 for std in stds)


def _std(fingerprint: str) -> float | None:
    found = re.search(r"\bstd=([-+0-9.e]+|nan|inf)", fingerprint)
    return float(found[1]) if found else None


def diff_table(differences: Sequence[Difference]) -> str:
    """The differences as a short markdown table (what differs, its category, expected or a confound)."""
    if not differences:
        return "The two arms are identical: same model, initial values, optimizer and training hooks.\n"
    rows = [f"| {d.message.replace('|', '/')} | {d.category} | {'expected' if d.allowed else '**confound**'} |"
            for d in differences]
    return "\n".join(["| idea arm vs baseline | category | verdict |", "|---|---|---|", *rows]) + "\n"


def _units(arm: dict[str, Any]) -> list[_Unit]:
    """The model's units in module order (see the module docstring)."""
    classes = {path: cls for path, cls in arm["modules"]}
    outputs = {path: tuple(shape) for path, shape in arm.get("outputs") or []}
    children: dict[str, list[str]] = {}
    for path in classes:
        if path:
            children.setdefault(path.rpartition(".")[0], []).append(path)

    def expand(path: str) -> list[str]:
        if (path == "" and children.get(path)) or classes[path] in CONTAINERS:
            return [unit for child in children.get(path, []) for unit in expand(child)]
        return [path]

    units = []
    for path in expand(""):
        prefix = f"{path}." if path else ""
        params = tuple((name[len(prefix):], tuple(shape), fp) for name, shape, fp in arm["params"] if name.startswith(prefix))
        units.append(_Unit(path, classes[path], params, outputs.get(path)))
    return units


def _counted(classes: Sequence[str]) -> str:
    return ", ".join(f"{cls} ×{n}" for cls, n in Counter(classes).items()) or "none"


def _model(base: dict[str, Any], idea: dict[str, Any]) -> list[tuple[str, str]]:
    base_units, idea_units = _units(base), _units(idea)
    found = []
    if added := _added_norms(base_units, idea_units):  # the idea's normalisation where the baseline has none
        found.append(("layers", f"normalisations: {_counted([u.cls for u in added])} in the idea arm, none in the baseline"))
        idea_units = [u for u in idea_units if u not in added]
    b_layers, i_layers = [u for u in base_units if u.weighted], [u for u in idea_units if u.weighted]
    own_layers = sum(b.cls != i.cls for b, i in zip(b_layers, i_layers)) if len(b_layers) == len(i_layers) else 0
    for category, keep in (("structure", lambda u: not u.weighted and u.cls in STRUCTURAL),
                           ("activation", lambda u: not u.weighted and u.cls not in STRUCTURAL)):
        b, i = [u.cls for u in base_units if keep(u)], [u.cls for u in idea_units if keep(u)]
        if b == i:
            continue
        if category == "structure":
            found.append(("architecture", f"modules that reshape, pool or drop: {_counted(i)} in the idea arm, "
                                          f"{_counted(b)} in the baseline"))
        elif set(i) == set(b) and len(b_layers) != len(i_layers):  # the baseline's activations, one per layer of a
            found.append(("architecture", f"activations: {_counted(i)} in the idea arm, {_counted(b)} in the baseline, "
                                          "one per hidden layer"))  # deeper or shallower network
        elif not Counter(i) - Counter(b) and (Counter(b) - Counter(i)).total() <= own_layers:
            # a layer of the idea's own class that applies its nonlinearity inside (a residual block x + relu(Wx))
            found.append(("layers", f"activations: {_counted(i)} in the idea arm, {_counted(b)} in the baseline, "
                                    "the others inside the idea's own layers"))
        else:
            found.append(("activation", f"activations: {_counted(i)} in the idea arm, {_counted(b)} in the baseline"))
    activation_changed = any(c == "activation" for c, _ in found)
    if len(b_layers) != len(i_layers):
        plural = "s" if len(i_layers) != 1 else ""
        found.append(("architecture", f"the idea arm has {len(i_layers)} weight layer{plural} where the baseline has "
                                      f"{len(b_layers)} ({_counted([u.cls for u in i_layers])} vs "
                                      f"{_counted([u.cls for u in b_layers])})"))
        return found
    for n, (b, i) in enumerate(zip(b_layers, i_layers), start=1):
        found += _layer(n, b, i, activation_changed)
    return found


def _added_norms(base_units: list[_Unit], idea_units: list[_Unit]) -> list[_Unit]:
    """The idea's normalisation units (a norm class without weight matrices) when the baseline has none."""
    def norms(units: list[_Unit]) -> list[_Unit]:
        return [u for u in units if "norm" in u.cls.lower() and all(len(shape) < 2 for _, shape, _ in u.params)]
    return [] if norms(base_units) else norms(idea_units)


def _layer(n: int, base: _Unit, idea: _Unit, activation_changed: bool) -> list[tuple[str, str]]:
    """How weight layer n differs: outputs, class, parameter shapes, initial values (the first that applies)."""
    where = f"weight layer {n} (`{idea.path}`, {idea.cls})"
    if base.output != idea.output:
        shown = [list(s) if s is not None else "unused" for s in (idea.output, base.output)]
        return [("architecture", f"{where} outputs {shown[0]} features in the idea arm, {shown[1]} in the baseline")]
    if base.cls != idea.cls:
        return [("layers", f"weight layer {n} (`{idea.path}`) is {idea.cls} in the idea arm, {base.cls} in the baseline")]
    b_shapes, i_shapes = [(p, s) for p, s, _ in base.params], [(p, s) for p, s, _ in idea.params]
    if b_shapes != i_shapes:
        category = "activation" if activation_changed else "architecture"
        return [(category, f"{where} has parameters {_shapes(i_shapes)} in the idea arm, "
                           f"{_shapes(b_shapes)} in the baseline")]
    changed = [(name, b_fp, i_fp) for (name, _, b_fp), (_, _, i_fp) in zip(base.params, idea.params) if b_fp != i_fp]
    return [("init", f"{where} starts from other values: `{name}` {_stats(i_fp)} in the idea arm, "
                     f"{_stats(b_fp)} in the baseline") for name, b_fp, i_fp in changed[:1]]


def _shapes(shapes: Sequence[tuple[str, tuple[int, ...]]]) -> str:
    return ", ".join(f"{name} {list(shape)}" for name, shape in shapes)


def _stats(fingerprint: str) -> str:
    """The readable part of a fingerprint ("mean=… std=…")."""
    return fingerprint.partition(" ")[2] or fingerprint


def _optimizer(base: dict[str, Any], idea: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    if base["class"] != idea["class"]:
        found.append(("optimizer", f"optimizer {idea['class']} in the idea arm vs {base['class']} in the baseline"))
    elif base.get("defaults") != idea.get("defaults"):
        b, i = base.get("defaults") or {}, idea.get("defaults") or {}
        settings = [k for k in sorted(set(b) | set(i)) if k != "lr" and b.get(k) != i.get(k)]
        if settings:
            found.append(("optimizer", f"optimizer {idea['class']} settings: "
                          + ", ".join(f"{k} {i.get(k)} vs {b.get(k)}" for k in settings)))
        if b.get("lr") != i.get("lr"):
            found.append(("lr", f"the optimizer's learning rate is {i.get('lr')} in the idea arm, {b.get('lr')} "
                                "in the baseline"))
    if base.get("closure") != idea.get("closure"):
        found.append(("optimizer", "the idea arm's optimizer re-evaluates the loss (closure); the baseline's does not"))
    return found


def _rates(probed: list[list[float]]) -> str:
    return ", ".join(f"step {s:g}: {v:.3g}" for s, v in probed)


def _probes(base: dict[str, Any], idea: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    loss = idea["compute_loss"]
    if loss["differs"]:
        value = next(v for _, v in loss["values"] if abs(v - loss["task_loss"]) > 1e-6 * (1 + abs(loss["task_loss"])))
        found.append(("loss", f"compute_loss gives {value:.4g} where the task loss is {loss['task_loss']:.4g} "
                              "on the probe batch"))
    batch = idea["transform_batch"]
    changed = [name for name, key in (("inputs x", "changes_x"), ("targets y", "changes_y")) if batch[key]]
    if changed:
        found.append(("batch", f"transform_batch changes the training {' and '.join(changed)}"))
    if idea.get("choose_batch", {}).get("changes"):
        found.append(("batch", "choose_batch picks other training examples for the batch than the baseline draws"))
    if idea.get("batch_size_at") != base.get("batch_size_at"):
        shown = ", ".join(f"step {s}: {v}" for s, v in idea["batch_size_at"])
        found.append(("batch", f"the batch size follows batch_size_at ({shown}); the baseline's stays "
                               f"{base['batch_size_at'][0][1]}"))
    if idea["lr_at"] != base["lr_at"]:
        theirs = (f"stays {base['lr_at'][0][1]:.3g}" if len({v for _, v in base["lr_at"]}) == 1
                  else f"follows its schedule ({_rates(base['lr_at'])})")
        found.append(("lr", f"the learning rate follows lr_at ({_rates(idea['lr_at'])}); the baseline's {theirs}"))
    steps = idea["after_step"]["changed_at"]
    if steps and not base["after_step"]["changed_at"]:
        shown = ", ".join(map(str, steps[:4])) + (", …" if len(steps) > 4 else "")
        found.append(("weights", f"after_step changes the weights (at step{'s' if len(steps) > 1 else ''} {shown} "
                                 "of the first 100 probed)"))
    return found
