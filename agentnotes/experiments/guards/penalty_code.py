"""An activity penalty written from the notes' own function of a hidden layer's output.

A note may give its penalty on the hidden layers as Python (`def overlap_pen(h, y, C=10, m=0.2): ...`,
`def expansion(x, h, y)` comparing them with the batch's inputs) and its loss as a formula that adds it
(`L = CE + λ·R`, `loss = CE − λ · erank(H) / d`). The activity_penalty skeleton's `penalty(hidden, pre_activations,
y, x)` then calls that function as it stands, on the one hidden layer the notes name (the last, the first, or every
one), times the loss line's coefficient. A penalty term named by a letter (`R`) is the
function's value when a formula line defines that letter; named constants that line multiplies it by, which the
function never reads (`R = λ · mean_c …`), are the coefficient's. Anything less certain is left to the model.
"""

from __future__ import annotations

import ast
import re

from agentnotes.experiments.guards.constants import compared_name, note_constants
from agentnotes.experiments.guards.formula_lines import _assignments, _normalised, bracket_depth
from agentnotes.experiments.guards.kinds import idea_text
from agentnotes.experiments.guards.note_code import names_replaced, parsed_blocks, self_contained
from agentnotes.experiments.guards.static_check import required_positional
from agentnotes.experiments.guards.note_program import (EVERY_HIDDEN_LAYER, HIDDEN_OUTPUTS, PRE_ACTIVATION, TASK_LOSSES,
                                                        hidden_sizes, without_variants)

# A function's inputs bound to the batch's targets and to its inputs, by the name the skeleton's penalty gives them.
_BATCH_VALUES = {**dict.fromkeys(("y", "labels", "label", "target", "targets"), "y"), **dict.fromkeys(("x", "xb", "inputs"), "x")}
_PENALTY = "notes_penalty"  # the name the function's value stands under while the loss line is read
_SIZES = hidden_sizes({"d", "B"})  # a layer's width, a batch's size: read from the layer
# The hidden layer a note puts its penalty on, said in words.
_LAYERS = {"hidden[-1]": re.compile(r"最后一?个?\s*隐(?:藏)?层|(?:last|final|top)\s+hidden\s+layer", re.IGNORECASE),
           "hidden[0]": re.compile(r"第一个?\s*隐(?:藏)?层|first\s+hidden\s+layer", re.IGNORECASE),
           "hidden": EVERY_HIDDEN_LAYER}
# A clause about a variant to try (`all hidden layers as a variant`): not where the idea puts its penalty.
_VARIANT_CLAUSE = re.compile(r"[^;；。,，\n]*(?:\bvariants?\b|\bablations?\b|变体|变种|消融)[^;；。,，\n]*", re.IGNORECASE)
_LEADING_FACTORS = re.compile(r"^\s*((?:[^\W\d]\w*\s*[·*×]\s*)+)")


def hidden_function(note_text: str) -> ast.FunctionDef | None:
    """The one self-contained function of the idea's code that takes one hidden layer's output (`h`, `H`, `hidden`),
    perhaps the batch's targets and inputs, and nothing else without a default, returning a value; None when there is
    no such function or more than one."""
    constants = note_constants(note_text)
    found = [node for tree, _ in parsed_blocks(note_text) for node in tree.body
             if isinstance(node, ast.FunctionDef) and _on_hidden(node) and self_contained(node, constants)]
    return found[0] if len(found) == 1 else None


def _on_hidden(function: ast.FunctionDef) -> bool:
    """Whether `function` takes one hidden output, otherwise only the batch's targets and inputs without a default, and
    returns a value."""
    required = _required(function)
    returns = any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(function))
    hidden = [name for name in required if compared_name(name) in HIDDEN_OUTPUTS]
    return len(hidden) == 1 and returns and not function.decorator_list \
        and all(name in hidden or name in _BATCH_VALUES for name in required)


def _required(function: ast.FunctionDef) -> list[str]:
    """The names of the inputs `function` takes without a default, in order."""
    return [a.arg for a in [*function.args.posonlyargs, *function.args.args][:required_positional(function)]]


def hidden_code_penalty(formulas: str, note_text: str) -> tuple[str, str] | None:
    """(the activity_penalty skeleton's `penalty` body calling the notes' function, the loss line it comes from), or
    None (see the module docstring)."""
    function = hidden_function(note_text)
    layer = _named_layer(note_text)
    if function is None or layer is None:
        return None
    given = {**note_constants(without_variants(note_text)), **note_constants(formulas)}
    for line in formulas.splitlines():
        found = _penalty_term(line, function, formulas, given)
        if found is not None:
            term, constants = found
            return _body(function, layer, term, constants, PRE_ACTIVATION.search(note_text) is not None), line.strip()
    return None


def _named_layer(note_text: str) -> str | None:
    """Which hidden layers the notes put the penalty on (`hidden[-1]`, `hidden[0]`, `hidden` for every one): the one
    the idea's own sections name, else the one the whole note names; None when none or several are named."""
    for text in (idea_text(note_text), without_variants(note_text)):
        text = _VARIANT_CLAUSE.sub(" ", text)
        named = [layer for layer, said in _LAYERS.items() if said.search(text)]
        if named:
            return named[0] if len(named) == 1 else None
    return None


def _penalty_term(line: str, function: ast.FunctionDef, formulas: str, given: dict[str, str]) \
        -> tuple[ast.expr, dict[str, float]] | None:
    """(the loss line's penalty term, its function's value as _PENALTY; the notes' constants it reads) when the line
    adds one term to one task loss and that term is constants times the function's value, called by name on a hidden
    output or named by a letter another formula line defines; else None."""
    call = re.compile(rf"(?<![\w.]){re.escape(function.name)}\s*\(\s*[A-Za-z]\w*\s*(?:,\s*[A-Za-z]\w*\s*)*\)")
    written, factors = call.sub(_PENALTY, line), []
    assignments = [(target, value) for target, value in _assignments(written) or () if not isinstance(value, ast.Constant)]
    if not assignments or len(assignments) != 1:
        return None
    value = assignments[0][1]
    if written == line:  # no call by name: the one letter of the line that is neither a loss nor a constant
        letters = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)
                   and compared_name(n.id) not in TASK_LOSSES and compared_name(n.id) not in given and n.id not in _SIZES}
        if len(letters) != 1:
            return None
        letter = letters.pop()
        definition = next((text for target, text in _definitions(formulas, line) if target == letter), "")
        factors = _leading_constants(definition, function, given)
        if factors is None:
            return None
        value = names_replaced(value, {letter: _PENALTY})
    terms = _signed_terms(value)
    task = [t for t in terms if isinstance(t, ast.Name) and compared_name(t.id) in TASK_LOSSES]
    rest = [t for t in terms if not any(t is k for k in task)]
    if len(task) != 1 or len(rest) != 1 or not _scales(rest[0]):
        return None
    constants = {}
    for name in {n.id for n in ast.walk(rest[0]) if isinstance(n, ast.Name)} - {_PENALTY} - set(_SIZES):
        if compared_name(name) not in given:
            return None
        constants[name] = float(given[compared_name(name)])
    term = rest[0]
    for name in factors:
        term = ast.BinOp(ast.Name(name, ast.Load()), ast.Mult(), term)
        constants[name] = float(given[compared_name(name)])
    return term, constants


def _definitions(formulas: str, loss_line: str) -> list[tuple[str, str]]:
    """(letter, the text it is defined as) for each formula line other than `loss_line` of the form `R = …` (perhaps
    numbered, or after a colon ending a few words of prose)."""
    found = []
    for line in formulas.splitlines():
        match = re.search(r"(?:^\s*(?:\d+[.)]\s*)?|[：:]\s*)([A-Za-z]\w*)\s*=(?!=)\s*(.+)$", line)
        if line != loss_line and match:
            found.append((match[1], match[2]))
    return found


def _leading_constants(definition: str, function: ast.FunctionDef, given: dict[str, str]) -> list[str] | None:
    """The named constants a letter's definition starts by multiplying (`λ · mean_c …`: ["λ"]) that the function never
    reads, or None when the definition adds terms at its top level (it is more than one value) or starts with a
    constant the function reads too."""
    text = re.sub(r"[_^]\s*[+\-]", "", definition.split("，")[0].split("（")[0])  # `[…]_+`: a positive part, no sum
    if any(char in "+-−" and not bracket_depth(text, index) for index, char in enumerate(text)):
        return None
    read = {n.id for n in ast.walk(function) if isinstance(n, ast.Name)} | {a.arg for a in function.args.args}
    leading = _LEADING_FACTORS.match(text)
    names = re.findall(r"[^\W\d]\w*", _normalised(leading[1])) if leading else []
    if any(compared_name(name) not in given for name in names) or set(names) & read:
        return None if names else []
    return names


def _signed_terms(value: ast.expr) -> list[ast.expr]:
    """The terms a sum adds, one subtracted as its negative (`CE − λ·P` gives CE and −λ·P)."""
    if isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Add, ast.Sub)):
        right = _signed_terms(value.right)
        if isinstance(value.op, ast.Sub):
            right = [ast.UnaryOp(ast.USub(), term) for term in right]
        return _signed_terms(value.left) + right
    return [value]


def _scales(term: ast.expr) -> bool:
    """Whether `term` is the penalty's value times or divided by other values, once, perhaps negated."""
    if isinstance(term, ast.Name):
        return term.id == _PENALTY
    if isinstance(term, ast.UnaryOp) and isinstance(term.op, ast.USub):
        return _scales(term.operand)
    if isinstance(term, ast.BinOp) and isinstance(term.op, ast.Mult):
        return _scales(term.left) != _scales(term.right) and ast.unparse(term).count(_PENALTY) == 1
    if isinstance(term, ast.BinOp) and isinstance(term.op, ast.Div):
        return _scales(term.left) and _PENALTY not in ast.unparse(term.right)
    return False


def _body(function: ast.FunctionDef, layer: str, term: ast.expr, constants: dict[str, float], before: bool) -> str:
    """The penalty's body: the notes' function, their constants, then the term on the named hidden layer(s)."""
    call = f"{function.name}({', '.join(_BATCH_VALUES.get(name, 'h') for name in _required(function))})"
    outputs = layer.replace("hidden", "pre_activations") if before else layer
    lines = [ast.unparse(function), *(f"{name} = {value!r}  # a constant of the notes" for name, value in constants.items())]
    value = ast.unparse(term).replace(_PENALTY, call)
    sizes = [f"    {name} = {size}" for name, size in _SIZES.items() if re.search(rf"(?<![\w.]){name}(?!\w)", value)]
    if layer == "hidden":
        return "\n".join([*lines, "total = 0", f"for h in {outputs}:  # every hidden layer, as the notes say", *sizes,
                          f"    total = total + {value}", "return total"])
    return "\n".join([*lines, f"h = {outputs}  # the hidden layer the notes name", *(s.strip() for s in sizes), f"return {value}"])
