"""The note sections that define an idea, and what their formulas say about it.

Small models mix neighbouring ideas into a plan, write its rule without formulas, and cannot say
reliably whether an idea is a layer, an activation or an update rule (the worked example shown to
the code writer depends on it). The idea's own sections say it plainly: an output computed from
weights is a layer, relu/tanh/sigmoid applied to a value is an activation, an assignment to the
gradient is an update rule. They also say what the code must contain: the hooks those parts and
any "every N steps" need, and the bracketed sums such as (x+h) and (w1+w2) of their formulas.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agentnotes.notes.types import Hit

_COMPARISON = re.compile(r"\s+(?:vs\.?|versus|against|compared (?:to|with))\s+", re.IGNORECASE)
_TERM = re.compile(r"[a-z0-9]+|[\u4e00-\u9fff]+")
_GENERIC = {"layer", "layers", "with", "together", "and", "the", "of", "idea", "plain", "baseline", "model", "net",
            "network", "mlp", "sgd", "run", "test", "experiment"}
PART_CUES = {  # part -> a formula shape in the notes that means the idea changes it
    "layer": re.compile(r"\b(?:y|out|output)\s*=[^\n]*\bw", re.IGNORECASE),
    "activation": re.compile(r"\b(?:relu|tanh|sigmoid|gelu|softplus)\s*\(", re.IGNORECASE),
    "optimizer": re.compile(r"\b(?:g|grad|gradient)\s*=[^=]", re.IGNORECASE),
}
_PERIODIC = re.compile(r"\bevery\s+(?:\d+|n|k)\s+(?:steps|updates|iterations)|每[^。\n]{0,6}?(?:\d+|[NnKk]|几|若干)\s*(?:步|次)",
                       re.IGNORECASE)  # "every N steps", not "every step"
_PART_HOOKS = {"layer": "build_model", "activation": "build_model", "optimizer": "make_optimizer"}
_PAIR = re.compile(r"[(（]\s*([A-Za-z_]\w*)\s*([+-])\s*([A-Za-z_]\w*)\s*[)）]")  # (x+h), （w1+w2）
# A named output that is the product of two names and nothing more: `xor = -a*b。`, not `y = w*x + b`.
_PRODUCT = re.compile(r"(?<![\w.])[A-Za-z_]\w*\s*=\s*-?\s*([A-Za-z_]\w*)\s*(\*)\s*([A-Za-z_]\w*)(?=\s*(?:[。，,;；]|$))")
_FORMULA_LINE = re.compile(r"[\w)\]]\s*=\s*[^=\s]")
MAX_RULE_CHARS = 500


def idea_terms(request: str) -> list[str]:
    """The words that name the idea: the request's side before "vs", without generic words."""
    idea_side = _COMPARISON.split(request.strip(), maxsplit=1)[0].lower()
    return [t for t in _TERM.findall(idea_side) if len(t) >= 2 and t not in _GENERIC]


def _heading(hit: Hit) -> str:
    return " ".join(hit.chunk.heading_path).lower()


def _names(hit: Hit, term: str) -> bool:
    """The passage is about `term`: its heading names it, or its first line starts with it."""
    heading = _heading(hit)
    lines = [line.strip().lower() for line in hit.chunk.text.splitlines() if line.strip()]
    body = lines[1:] if lines and heading and heading in lines[0] else lines
    return term in heading or bool(body and body[0].startswith(term))


def own_sections(request: str, hits: Sequence[Hit]) -> list[Hit]:
    """For each term of the idea, the passage that defines it: of those that name it, one with formulas
    (a log entry that only mentions the idea does not define it), then the one with the shortest
    heading (a section named after the idea alone, not one about it and something else)."""
    own: list[Hit] = []
    for term in idea_terms(request):
        naming = [h for h in hits if _names(h, term)]
        if naming:
            best = min(naming, key=lambda h: (not _formula_parts(h.chunk.text), len(_heading(h))))
            own += [best] if best not in own else []
    return own


def idea_passages(request: str, hits: Sequence[Hit]) -> list[Hit]:
    """What the code writer and its critic read: the sections that define the idea's terms and, for a
    combination of ideas, the sections whose heading names all of them; every hit when none does.
    Small models mix neighbouring ideas from the other hits into the code."""
    terms, own = idea_terms(request), own_sections(request, hits)
    combined = [h for h in hits if len(terms) > 1 and all(t in _heading(h) for t in terms)]
    return [h for h in hits if h in own or h in combined] or list(hits)


def parts_in_notes(request: str, hits: Sequence[Hit]) -> list[str]:
    """The parts whose formula shape appears in the idea's defining sections (the best hit when no
    section names the idea), in PART_CUES order."""
    return _formula_parts("\n".join(h.chunk.text for h in own_sections(request, hits) or hits[:1]))


def formula_lines(request: str, hits: Sequence[Hit]) -> str:
    """The lines of the idea's defining sections that hold a formula, in order, at most
    MAX_RULE_CHARS; "" when no section names the idea or none has a formula."""
    return formulas_in(own_sections(request, hits))


def formulas_in(hits: Sequence[Hit]) -> str:
    """The lines of `hits` that hold a formula, in order, without repeats, at most MAX_RULE_CHARS."""
    lines = [line.strip() for h in hits for line in h.chunk.text.splitlines() if _FORMULA_LINE.search(line)]
    text = ""
    for line in dict.fromkeys(lines):
        if len(text) + len(line) + 1 > MAX_RULE_CHARS:
            break
        text += line + "\n"
    return text.strip()


def required_hooks(request: str, hits: Sequence[Hit]) -> list[tuple[str, str]]:
    """(hook, why) for each harness hook the idea's defining sections call for: build_model for a
    layer or activation formula, make_optimizer for a gradient update, after_step for something
    done every N steps. None when no section names the idea."""
    return sorted(_hooks_called_for("\n".join(h.chunk.text for h in own_sections(request, hits))).items())


def _hooks_called_for(text: str) -> dict[str, str]:
    """hook -> why, for each hook a note text calls for: its formulas change the part the hook
    implements, or it does something every N steps (after_step)."""
    needed = {_PART_HOOKS[p]: f"the notes' formulas change the {p}" for p in reversed(_formula_parts(text))}
    if _PERIODIC.search(text):
        needed["after_step"] = "the notes do something every N steps"
    return needed


def passages_for_hook(request: str, hits: Sequence[Hit], hook: str) -> tuple[list[Hit], list[str]]:
    """The idea's passages that call for `hook`, and the parts they change: their formulas change
    the part the hook implements (build_model, make_optimizer), or they do something every N steps
    (after_step)."""
    passages = [h for h in idea_passages(request, hits) if hook in _hooks_called_for(h.chunk.text)]
    text = "\n".join(h.chunk.text for h in passages)
    return passages, [p for p in _formula_parts(text) if _PART_HOOKS[p] == hook]


def note_pairs(request: str, hits: Sequence[Hit]) -> list[tuple[str, str, str, str]]:
    """The bracketed sums and differences of two names in the idea's defining sections, and the
    outputs they name as a product of two names, each with the note line it stands in:
    `w = (w1+w2)/2` -> ("w1", "+", "w2", "w = (w1+w2)/2"); `xor = -a*b` -> ("a", "*", "b", ...)."""
    found: dict[tuple[str, str, str], str] = {}
    for h in own_sections(request, hits):
        for line in h.chunk.text.splitlines():
            for pair in _PAIR.findall(line) + _PRODUCT.findall(line):
                found.setdefault(pair, line.strip())
    return [(*pair, line) for pair, line in found.items()]


def _formula_parts(text: str) -> list[str]:
    return [part for part, cue in PART_CUES.items() if cue.search(text)]
