"""Skeleton functions written by the program from the notes' formulas, where they are certain.

A small model copies a worked example's rule or drifts from the notes' arithmetic; a formula that
already reads as code does not need it. Two cases are written here as replies to fill into the
skeleton (guards/skeleton.py `fill`), each marked with the formulas it comes from:
- a whole hook whose formulas form a complete program (guards/note_program.py): an update rule's
  `update`, an activation's `forward`, a schedule's `lr_at`, a weight operation's `weight_op`, a
  regulariser's `penalty` (a penalty added to the task's loss, of the weights or of the hidden layers'
  outputs), a data idea's `transform_batch`, a layer's `forward`, a block's, a whole network's or a recurrent cell's layers and `forward` (guards/network_body.py), an update
  rule's move and step around a second gradient (guards/two_point_body.py);
- a layer's method run every N steps, from the notes' periodic formulas over its own parameters.
Anything less certain gives "" and the model is asked.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Sequence

from agentnotes.experiments.guards.kinds import PERIODIC_EPOCHS, STRAIGHT_THROUGH, idea_text
from agentnotes.experiments.guards.penalty_code import hidden_code_penalty
from agentnotes.experiments.guards.norm_body import norm_forward_body
from agentnotes.experiments.guards.note_code import activation_class_bodies, code_body, layer_class_bodies, norm_class_bodies
from agentnotes.experiments.guards.note_program import (
    HOOK_FUNCTIONS,
    NoteProgram,
    block_body,
    init_body,
    layer_forward_body,
    note_program,
    penalty_body,
    periodic_body,
    program_body,
)
from agentnotes.experiments.guards.index_notation import indexed_layer_body
from agentnotes.experiments.guards.network_body import cell_body, network_body
from agentnotes.experiments.guards.note_symbols import BIAS_GUARD, BIASES_LEFT, BIASES_PLAIN_SGD, note_period, periodic_cue
from agentnotes.experiments.guards.prose_init import prose_init_body
from agentnotes.experiments.guards.skeleton import Skeleton, defined_functions, function_sources, parameters_of
from agentnotes.experiments.guards.two_point_body import two_point_bodies
from agentnotes.experiments.guards.unit_notation import unit_op_body

# A backward pass the notes give a layer of its own: "反向：…不用真梯度", "Backward: …", a torch.autograd.Function.
_OWN_BACKWARD = re.compile(r"autograd\.Function|不用真梯度|(?:反向|\bbackward(?: pass)?)\s*[（(:：]", re.IGNORECASE)
MARK = "written from the notes' formulas"  # the comment on a body written here
# A reduction in a formula (a norm, a sum, a mean).
_REDUCED = re.compile(r"(?<![\w.])(?:norm|sum_over|sum|mean|max|min)\(")
LAYER_FORWARD = "IdeaLinear.forward"  # the layer skeletons' forward pass
NORM_FORWARD = "IdeaNorm.forward"  # the norm skeleton's
BLOCK_FORWARD = "IdeaBlock.forward"  # the block skeleton's, beside its layers_and_parameters
NETWORK_FORWARD = "IdeaNet.forward"  # the network skeleton's, beside its layers_and_parameters
# The skeletons whose module the notes' equations write whole: its forward pass, the writer, the method with its layers.
_MODULES = ((BLOCK_FORWARD, block_body, "layers_and_parameters"), (NETWORK_FORWARD, network_body, "layers_and_parameters"),
            ("IdeaCell.forward", cell_body, "layers"))


def program_reply(part: Skeleton, formulas: str, note_text: str = "", task: str = "") -> str:
    """The part's function written by the program from the notes' formulas when they are a complete program
    of its kind (guards/note_program.py: every name bound, nothing uncertain), as a reply to fill in; ""
    when they are not, and the model is asked. A weight operation also keeps the notes' period and leaves
    the biases alone when the notes say so; it is not written when the notes' period has no number. A loss
    is read for the `task` (a classifier's outputs are logits, its targets class indices); a batch change
    that computes new targets is written only for regression, whose targets are numbers."""
    if part.name == "two_point":  # two functions: the move, and the step from the weights before it
        bodies = two_point_bodies(formulas, note_text)
        return "" if bodies is None else "".join(
            f"def {name}({arguments}):\n" + textwrap.indent(_marked(body, bodies[2]), "    ") + "\n\n\n"
            for name, arguments, body in (("perturb", "params, grads", bodies[0]), ("update", "p, g, state, lr, t", bodies[1])))
    found = _written_function(part, formulas, note_text, task)
    if found and task != "regression" and part.name == "data" and _assigns_targets(found[1]):
        return ""
    if found is None or found[0] not in part.required:
        return ""
    function, body, other_methods = found
    arguments = ", ".join(a.arg for fn in ast.walk(ast.parse(part.code)) if isinstance(fn, ast.FunctionDef)
                          and fn.name == function.split(".")[-1] for a in fn.args.args)
    text = f"def {function.split('.')[-1]}({arguments}):\n" + textwrap.indent(body, "    ") + "\n"
    if "." in function:
        text = f"class {function.split('.')[0]}(nn.Module):\n" + textwrap.indent(other_methods + text, "    ")
    return text


def _assigns_targets(body: str) -> bool:
    """Whether a written body computes new targets (assigns y)."""
    return any(isinstance(n, ast.Name) and n.id == "y" and isinstance(n.ctx, ast.Store) for n in ast.walk(ast.parse(body)))


def _learned(program: NoteProgram) -> str:
    """An activation's `extra_parameters` making each value the notes call learnable a parameter (one per unit where
    the notes say so), started at the notes' value; "" when there is none."""
    if not program.learned:
        return ""
    starts = {name: program.constants[name] for name in program.learned}
    lines = [f"self.{name} = nn.Parameter(torch.full((self.width,), {value!r}))  # learnable, one per unit, as the notes say"
             if program.per_unit else f"self.{name} = nn.Parameter(torch.tensor({value!r}))  # learnable, as the notes say"
             for name, value in starts.items()]
    return "def extra_parameters(self):\n" + textwrap.indent("\n".join(lines), "    ") + "\n\n"


def _with_parameters(forward_name: str, found: tuple[str, str, str] | None) -> tuple[str, str, str] | None:
    """(the forward pass's name, its marked body, the extra_parameters method it needs) from (body, source, that
    method's body), or None."""
    if found is None:
        return None
    body, source, extra = found
    return forward_name, _marked(body, source), extra and "def extra_parameters(self):\n" \
        + textwrap.indent(_marked(extra, source), "    ") + "\n\n"


def _written_function(part: Skeleton, formulas: str, note_text: str, task: str) -> tuple[str, str, str] | None:
    """(the skeleton function, its marked body, the other methods of its class it needs) the notes'
    formulas write, or None."""
    if part.name == "init":
        found = init_body(formulas, note_text) or prose_init_body(note_text)
        return ("init_weights", _marked(*found), "") if found else None
    if part.name in ("regulariser", "activity_penalty"):
        found = penalty_body(formulas, note_text, on_hidden=part.name == "activity_penalty") \
            or (part.name == "activity_penalty" and hidden_code_penalty(formulas, note_text))
        return ("penalty", _marked(*found), "") if found else None
    for forward_name, written, layers_method in _MODULES:
        if forward_name in part.required:  # a module's layers and forward pass
            found = written(formulas, note_text)
            if found is None:
                return None
            layers, forward, source = found
            return forward_name, _marked(forward, source), f"def {layers_method}(self):\n" \
                + textwrap.indent(_marked(layers, source), "    ") + "\n\n"
    if part.name == "norm":  # from the formulas, else the notes' own class (on flat inputs, as the notes' classes take
        # them), else the notes' own function of the pre-activations
        from_code = code_body("norm", note_text) if task != "digits_image" else None
        return _with_parameters(NORM_FORWARD, norm_forward_body(formulas, note_text, task)
                                or (norm_class_bodies(note_text) if task != "digits_image" else None)
                                or (from_code and (*from_code, "")))
    if LAYER_FORWARD in part.required:
        if _OWN_BACKWARD.search(note_text) and not STRAIGHT_THROUGH.search(note_text):
            return None  # "反向（照论文来，不用真梯度）": a layer whose gradient the notes give apart is more than its forward pass
        return _with_parameters(LAYER_FORWARD, layer_forward_body(formulas, parameters_of(part.code, LAYER_FORWARD.split(".")[0]),
                                                                  note_text)
                                or indexed_layer_body(formulas, note_text) or layer_class_bodies(note_text))
    if part.name == "unit_op":  # an operation on each hidden unit's weights, written unit by unit
        found, guards = unit_op_body(formulas, note_text), _weight_op_guards(note_text, biases_apart=False)
        return ("unit_op", guards + _marked(*found), "") if found and guards is not None else None
    global_step = part.name == "update_global"  # an update rule that reads this batch's loss
    program = note_program(formulas, ["update_rule" if global_step else part.name], note_text, task, batch_loss=global_step)
    if program and global_step and _REDUCED.search(program.as_text()):
        program = None  # `‖g‖` beside a whole-gradient norm: the whole gradient's or this tensor's, not certain
    if program and (found := program_body(program)):
        (function, body), learned = found, _learned(program)
        body = _marked(body, program.as_text())
    elif from_code := code_body(part.name, note_text):  # the idea given as Python code: the notes' own
        function, body, learned = HOOK_FUNCTIONS[part.name][0], _marked(*from_code), ""
    elif part.name == "activation" and task != "digits_image" and (found := activation_class_bodies(note_text)):
        body, source, extra = found  # the notes' activation class, its parameters one per unit of the last axis
        function, body = HOOK_FUNCTIONS["activation"][0], _marked(body, source)
        learned = "def extra_parameters(self):\n" + textwrap.indent(_marked(extra, source), "    ") + "\n\n"
    else:
        return None
    if part.name == "weight_op":
        guards = _weight_op_guards(note_text)
        if guards is None:
            return None
        body = guards + body
    elif part.name in ("update_rule", "update_global") and BIASES_PLAIN_SGD.search(note_text):
        body = "if p.dim() < 2:  # the notes give the biases plain SGD\n    p.sub_(lr * g)\n    return\n" + body
    return function, body, learned


def _weight_op_guards(note_text: str, biases_apart: bool = True) -> str | None:
    """The lines a weight operation starts with: the notes' period (`if step % N != 0: return`) and, when
    the notes leave the biases alone (and `biases_apart`: the operation is called on each parameter), a return for
    them; None when the notes name a period without its number, or in epochs."""
    guards = ""
    if re.search(PERIODIC_EPOCHS, idea_text(note_text), re.IGNORECASE):
        return None  # every N epochs: how many steps that is, the notes do not say
    if periodic_cue(note_text):
        period = note_period(note_text)
        if period is None:
            return None
        guards += f"if step % {period} != 0:\n    return\n"
    if biases_apart and BIASES_LEFT.search(note_text):
        guards += BIAS_GUARD.format(param="p") + "\n    return\n"
    return guards


def periodic_reply(code: str, functions: Sequence[str], periodic: Sequence[str]) -> str:
    """A layer's method run every N steps, written by the program from the notes' periodic formulas
    over the layer's own parameters (guards/layer_bodies.py `periodic_body`), as a reply to fill in;
    "" when they are not certain enough and the model is asked."""
    if len(functions) != 1 or "." not in functions[0] or functions[0] not in defined_functions(code):
        return ""
    class_name, method = functions[0].split(".")
    formulas = "\n".join(periodic)
    body = periodic_body(formulas, parameters_of(code, class_name), note_period(formulas))
    if body is None:
        return ""
    source = "; ".join(line.strip() for line in periodic)
    return (f"class {class_name}(nn.Module):\n    def {method}(self, step):\n"
            + textwrap.indent(_marked(body, source), " " * 8) + "\n")


def _marked(body: str, formulas: str) -> str:
    """A body the program wrote, its first line marked with the formulas it comes from (a comment of its
    own before the first statement would not survive the fill)."""
    first, _, rest = body.partition("\n")
    return f"{first}{'; ' if '  # ' in first else '  # '}{MARK}: {formulas}\n{rest}"


def written_by_program(skeleton: Skeleton, code: str) -> bool:
    """Whether `code` is `skeleton` with every function the model would write written here from the notes'
    formulas (marked so), and nothing else defined: the notes' own formulas, with nothing for a critic to compare."""
    try:
        sources = function_sources(code)
    except SyntaxError:
        return False
    required = [q for part in skeleton.parts or (skeleton,) for q in part.required]
    return set(sources) == set(function_sources(skeleton.code)) and all(MARK in sources.get(q, "") for q in required)
