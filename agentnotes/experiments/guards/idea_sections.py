"""The note sections that define an idea, and what their formulas say about it.

Small models mix neighbouring ideas into a plan, write its rule without formulas, and cannot say
reliably what kind of idea it is (the worked example shown to the code writer depends on it).
The idea's own sections say it plainly through the cues of guards/kinds.py: an output computed
from weights is a layer, an assignment to the gradient is an update rule, something done every
N steps is a weight operation. Their formulas also name what the code should compute: the
bracketed sums such as (x+h) and (w1+w2), which the static checks compare with the code as advice.
Request terms are found in headings as whole words ("sign" is not in "design"). A request in one language over
headings in another names its section through the query rewrite's translation (names_in_notes).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from agentnotes.experiments.guards.constants import NUMBER
from agentnotes.experiments.guards.formula_lines import FUNCTION_ALIAS
from agentnotes.experiments.guards.kinds import ALSO_POSSIBLE, BY_NAME, VARIANT, idea_lines, is_aside_heading, kinds_in_notes
from agentnotes.experiments.guards.notation import DRAW_FAMILIES, plain_formula
from agentnotes.notes.types import Chunk, Hit
from agentnotes.retrieval.sections import continuation, in_section

_COMPARISON = re.compile(r"\s+(?:vs\.?|versus|against|compared (?:to|with))\s+", re.IGNORECASE)
_TERM = re.compile(r"[a-z0-9]+|[\u4e00-\u9fff]+")
_GENERIC = {"layer", "layers", "with", "together", "and", "the", "of", "idea", "plain", "baseline", "model", "net",
            "network", "mlp", "sgd", "run", "test", "experiment", "all", "take", "for", "to", "in", "on", "by", "from",
            "into", "each", "every", "per", "via", "using", "only"}
# A formula the request writes out ("x*tanh(exp(x))"): the functions it calls are not the idea's name.
_WRITTEN_FORMULA = re.compile(r"\S*(?:[*/^=]|\w\()\S*")
_EXPLAINED = re.compile(r"\([^()]*\)|（[^（）]*）")  # an aside in brackets: it explains the idea, it does not name it
# A request that joins ideas: "mirror layer together with Gonnor", "A + B", "A 和 B".
_JOINED = re.compile(r"\b(?:with|together|plus|and|combined)\b|\+|和|加上|结合|一起", re.IGNORECASE)
_KIND_WORDS = {"activation", "激活", "激活函数", "init", "initialization", "initialisation", "初始化",
               "regularizer", "regulariser", "正则", "schedule", "调度", "optimizer", "优化器"}
_PAIR = re.compile(r"[(（]\s*([A-Za-z_]\w*)\s*([+-])\s*([A-Za-z_]\w*)\s*[)）]")  # (x+h), （w1+w2）
# A hyphenated word in brackets, no formula: (co-adaptation), (fine-tuning).
_HYPHENATED = re.compile(r"[(（]\s*[a-z]{2,}-[a-z]{4,}\s*[)）]")
# Names of network parts, not values: a pair of them in brackets describes a layer, it is no formula.
_MODULE_NAMES = {"linear", "relu", "tanh", "sigmoid", "gelu", "conv", "conv2d", "batchnorm", "layernorm", "dropout",
                 "softmax", "mlp", "sgd", "adam", "bn", "ln"}
# A named output that is the product of two names and nothing more: `xor = -a*b。`, not `y = w*x + b`.
_PRODUCT = re.compile(r"(?<![\w.])[A-Za-z_]\w*\s*=\s*-?\s*([A-Za-z_]\w*)\s*(\*)\s*([A-Za-z_]\w*)(?=\s*(?:[。，,;；]|$))")
# What a note line says the idea replaces: "把 h = ReLU(Wx + b) 换成", "replace y = Wx + b with", "instead of y = Wx + b".
_REPLACED = re.compile(r"把[^。\n]*?(?=换成|替换成|替换为|改成|改为)|\breplac(?:e|es|ed|ing)\s.*?(?=\s(?:with|by)\b)|"
                       r"\binstead of\s[^,.;\n]*", re.IGNORECASE)
# A formula: an assignment, or a draw (`W ~ N(0, 2/fan_in)`, `ε ~ U(-1, 1)`).
_FORMULA_LINE = re.compile(rf"[\w)\]}}\u0300-\u036f]\s*(?:[*/+-]?=|←|\s<-(?=\s)|\\leftarrow|\\gets)\s*[^=\s]|\w\s*~\s*(?:{DRAW_FAMILIES})\s*\(")
# A line that checks the formula at a point, not a step of it: `在 x = -a 处：值 -a/2，导数 0`, `at x = 0: f = 0, f' = 1`.
_AT_POINT = re.compile(r"(?:在|当)\s*[A-Za-z_\u0370-\u03ff]\w*\s*=\s*[^，,：:。=\n]{1,12}?\s*(?:处|时)|"
                       r"\bat\s+[A-Za-z_]\w*\s*=\s*[-−]?[\w./+−-]{1,8}\s*[:：]", re.IGNORECASE)
MAX_RULE_CHARS = 500
# A line of code that defines a function or a class (`def shrink(model, lam=0.8):`): its defaults are no formulas.
_DEFINITION = re.compile(r"^\s*(?:@|(?:async\s+)?(?:def|class)\s+\w+)")
# A formula's target, and a line that goes on with another value for it (an aligned piecewise formula).
_TARGET = re.compile(r"^\s*(?:[-*]\s*)?([A-Za-z_\u0370-\u03ff][\w\u0370-\u03ff]*(?:\([^()=]*\))?)\s*=(?!=)")
_CONTINUED = re.compile(r"^\s+=(?!=)\s*(.+)$")
# A line that ends on what the idea replaces, said on the next line: "每个 hidden layer 从", "instead of", "replace".
_REPLACED_NEXT = re.compile(r"(?:从|原来是|原本是|\binstead of|\breplace|\bfrom)\s*[:：]?\s*$", re.IGNORECASE)
# A line labelled as the usual method the idea departs from: "普通 mixup 随机配对：x̃ = …", "Standard residual block: h = …".
_CONTRAST_LABEL = re.compile(r"^\s*(?:[-*]\s*)?(?:普通|标准(?![差化])|原始|原版|传统|常规|通常|(?:the\s+)?(?:ordinary|standard|vanilla|"
                             r"usual|classic(?:al)?)\b)[^：:=←\n]{0,30}[：:]", re.IGNORECASE)
# A prose line that says the formulas under it say the rule again in another form ("写成向量形式就是", "Equivalently:",
# "In vector form:"): the rule is read once, as first said.
_RESTATED_NEXT = re.compile(r"(?:向量|矩阵|张量)(?:形式|写法|化)|等价地|等价的写法|换句话说|\bequivalently\b|"
                            r"\bin (?:vector|matrix|tensor) form\b|\bvectori[sz]ed\b", re.IGNORECASE)
# A displayed LaTeX formula written over several lines.
_DISPLAY = re.compile(r"(?:[^\n]*=[ \t]*\n)?[^\n]*\\begin\{cases\}.*?\\end\{cases\}", re.DOTALL)
_UNHYPHENATED = re.compile(r"(?<=[a-z0-9])-(?=[a-z0-9])")  # k-wta as kwta
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_LATIN_WORD = re.compile(r"[a-z][a-z0-9]{2,}")
_GENERIC_HAN = {"基线", "对比", "比较", "实验", "模型", "网络", "训练", "方法"}


def idea_terms(request: str) -> list[str]:
    """The words that name the idea: the request's side before "vs", without generic words."""
    idea_side = _COMPARISON.split(request.strip(), maxsplit=1)[0].lower()
    return [t for t in _TERM.findall(idea_side) if len(t) >= 2 and t not in _GENERIC]


def _distinguishing(request: str) -> list[str]:
    """The idea's terms that its baseline side does not share, that do not only say its kind and that no aside in
    brackets or formula written out gives, when there are such ("NegLog-ReLU 激活 vs ReLU": neglog; a ReLU or an
    activation section is no more the idea's than another's; "agreement-scaled momentum (cosine of gradient and
    velocity)": agreement, scaled); all of them otherwise."""
    idea_side, *baseline_side = _COMPARISON.split(request.strip(), maxsplit=1)
    shared = set(_TERM.findall(baseline_side[0].lower())) if baseline_side else set()
    named = _EXPLAINED.sub(" ", _WRITTEN_FORMULA.sub(" ", idea_side))  # not the words of an aside or a formula
    terms = idea_terms(named) or idea_terms(request)
    return ([t for t in terms if t not in shared and t not in _KIND_WORDS] or terms) + _initials(named)


def _initials(idea_side: str) -> list[str]:
    """The abbreviations a note may name the idea by: the initials of a compound of three parts or more
    ("k-winners-take-all": kwta, as in a heading "k-WTA") and of a name of three words or more ("stochastic weight
    averaging": swa)."""
    side = idea_side.lower()
    compounds = ["".join(part[0] for part in c.split("-")) for c in re.findall(r"[a-z0-9]+(?:-[a-z0-9]+){2,}", side)]
    words = [w for w in re.findall(r"[a-z]+", side) if w not in _GENERIC and w not in _KIND_WORDS]
    return [t for t in dict.fromkeys([*compounds, "".join(w[0] for w in words) if len(words) >= 3 else ""]) if len(t) >= 3]


def _heading(hit: Hit) -> str:
    return " ".join(hit.chunk.heading_path).lower()


def _word(term: str) -> re.Pattern[str]:
    """`term` as a whole word in Latin script (a plural allowed: "gates" names "gate"), as a substring in Chinese."""
    left, right = (r"(?<![a-z0-9_])", r"(?:s|es)?(?![a-z0-9_])") if re.search(r"[a-z0-9]", term) else ("", "")
    return re.compile(left + re.escape(term) + right)


def _names(hit: Hit, name: re.Pattern[str]) -> bool:
    """The passage is about what `name` finds: its heading names it, or its first line starts with it."""
    heading = _heading(hit)
    lines = [line.strip().lower() for line in hit.chunk.text.splitlines() if line.strip()]
    body = lines[1:] if lines and heading and heading in lines[0] else lines
    return bool(name.search(heading) or name.search(_UNHYPHENATED.sub("", heading)) or (body and name.match(body[0])))


def own_sections(request: str, hits: Sequence[Hit]) -> list[Hit]:
    """The sections that define the idea (named_sections), or the best hit when none is named (`_best_hit`): the
    kinds, the formulas and the text of the idea all come from the same section, never from every hit at once; of a
    section found in parts, every part found (a note of one section, chunked: its rule may follow its motivation).
    With it come the other subsections found under the heading that names the idea but its asides (idea_headings:
    the "Rule" of "# minGRU" with "## Rule", "## Setup", "## Baseline" below, not its baseline's words), in line
    order."""
    named = named_sections(request, hits) or _best_hit(hits)
    sections = {_section(h) for h in named}
    named = [h for h in hits if h in named or _section(h) in sections]
    headings = _cut_headings(request, named)
    others = [h for h in hits if _under(h.chunk, headings) and _section(h) not in sections
              and not _in_aside(h.chunk, headings)]
    kept = [h for h in named if not _in_aside(h.chunk, headings)] or ([] if others else named)  # a "## Baseline" named
    return _in_line_order([*kept, *others], headings)


def named_sections(request: str, hits: Sequence[Hit]) -> list[Hit]:
    """For each term that tells the idea apart (`_distinguishing`), the passage that defines it: of those that name
    it, one that shows a kind of idea (a log entry that only mentions the idea does not define it), then the one with the shortest
    heading (a section named after the idea alone, not one about it and something else); for a request that names
    one idea, not several joined, before that one naming more of its terms ("momentum warmup for GRU": the section
    naming warmup and GRU, not another warmup's). A heading (or a first
    line) that holds the idea's words as one phrase ("zero init last") names the idea alone: a section that
    shares one of its words ("orthogonal init") is not the idea's, and a request that is a section's title (as
    names_in_notes gives) names that section alone."""
    if titled := [h for h in hits if _title(h) == request.strip().lower()]:  # the request is a section's title
        return [min(titled, key=_defining)]
    terms = idea_terms(request)
    phrase = re.compile(r"[\s_-]+".join(re.escape(t) for t in terms)) if len(terms) > 1 else None
    if phrase and (whole := [h for h in hits if _names(h, phrase)]):
        return [min(whole, key=_defining)]
    own: list[Hit] = []
    terms = _distinguishing(request)
    joined = _JOINED.search(_COMPARISON.split(request.strip(), maxsplit=1)[0])
    for term in terms:
        naming = [h for h in hits if _names(h, _word(term))]
        if naming:  # one idea's words name its section together: of those naming the term, one naming most of them
            by_terms = lambda h: (_defining(h)[0], -_named_terms(h, terms), _defining(h))  # noqa: E731
            best = min(naming, key=_defining if joined else by_terms)
            own += [best] if best not in own else []
    return own if joined else _one_idea(own, terms, hits)


def _one_idea(picks: list[Hit], terms: Sequence[str], hits: Sequence[Hit]) -> list[Hit]:
    """Of the sections a one-idea request's terms name one by one, the one that both names the most of its terms and
    ranks highest in the search, when one does ("one-vs-all BCE loss": the section naming sigmoid and BCE, found
    first, not a center-loss section its word "loss" names); all of them when the two disagree (a heading in
    another language names the idea by fewer of the request's words)."""
    most = max((_named_terms(h, terms) for h in picks), default=0)
    top = max((_section_score(h, hits) for h in picks), default=0.0)
    both = [h for h in picks if _named_terms(h, terms) == most and _section_score(h, hits) == top]
    others = [h for h in picks if h not in both]
    beaten = all(_named_terms(h, terms) < most and _section_score(h, hits) < top for h in others)
    return both if len(both) == 1 and beaten else picks


def _section_score(hit: Hit, hits: Sequence[Hit]) -> float:
    """The search score of the best-ranked passage of the hit's section."""
    return max(h.score for h in hits if _section(h) == _section(hit))


def _named_terms(hit: Hit, terms: Sequence[str]) -> int:
    return sum(bool(_names(hit, _word(term))) for term in terms)


def names_in_notes(request: str, rewrite: str, hits: Sequence[Hit]) -> str:
    """What names the idea's section among `hits`: the request when its words name it (named_sections); else, for a
    request in another language than the headings, the title (heading or first line) that shares the most words and
    Chinese character pairs with the idea's side of the request and its rewrite, less the words of the request's
    baseline side (at least two, or the one it has; the first such hit on a tie). When no section is named by half
    the request's words or more ("cosine" names a schedule, "learnable" and "temperature" nothing), that title wins
    only by sharing more than the other sections they name (it may be one of them: "periodic" naming another note's
    heading, "relu" this one's). A rewrite also translates the baseline side ("交叉熵" for "cross-entropy"), so a
    section the request names by half its words stands. The search decides where the words cannot: a section they
    name weakly that holds the best passage is the idea's (its title is returned), and a title sharing a single word
    is enough when its section holds the best passage."""
    own, terms = named_sections(request, hits), idea_terms(request)
    named_by = max((sum(_names(h, _word(t)) for t in terms) for h in own), default=0)
    if not hits or (own and 2 * named_by >= len(terms)):  # a section named by half the request's words or more
        return request
    idea_side, *baseline_side = _COMPARISON.split(request.strip(), maxsplit=1)
    wanted = _tokens(f"{idea_side}\n{rewrite}") - _tokens(" ".join(baseline_side))  # a rewrite may say "vs" anywhere
    titles = [_title(h) for h in hits]
    shared = [len(wanted & _tokens(title)) for title in titles]
    best = max(shared)
    chosen = shared.index(best)
    beaten = max((shared[i] for i in {hits.index(h) for h in own} - {chosen}), default=0)
    if first := _ranks_first(own, hits):  # the search agrees with one section the words name
        return _title(first)
    enough = best >= min(2, len(wanted)) and best > beaten
    return titles[chosen] if enough or (best > beaten and _ranks_first([hits[chosen]], hits)) else request


def _ranks_first(sections: Sequence[Hit], hits: Sequence[Hit]) -> Hit | None:
    """The one of `sections` whose section holds the search's best passage alone (no other section's passage scores
    as high), if any."""
    top = max(h.score for h in hits)
    first = {_section(h) for h in hits if h.score == top}
    return next((s for s in sections if first == {_section(s)}), None)


def _title(hit: Hit) -> str:
    """The section's heading path, or its first line when it has none (lower case)."""
    lines = [line.strip() for line in hit.chunk.text.splitlines() if line.strip()]
    return _heading(hit) or (lines[0].lower() if lines else "")


def _tokens(text: str) -> set[str]:
    """Latin words (not generic) and pairs of adjacent Chinese characters (not generic) of `text`."""
    text = text.lower()
    words = {w for w in _LATIN_WORD.findall(text) if w not in _GENERIC}
    pairs = {run[i:i + 2] for run in _HAN_RUN.findall(text) for i in range(len(run) - 1)}
    return words | (pairs - _GENERIC_HAN)


def text_of(hits: Sequence[Hit]) -> str:
    """The passages' texts, one after another; a passage that starts indented (inside an indented code block) and does
    not go on from the line before it follows a blank line, so that it reads as the block it is, not as that line
    continued."""
    text = ""
    for before, hit in zip([None, *hits], hits):
        if before is not None:
            goes_on = (before.chunk.source, before.chunk.end_line + 1) == (hit.chunk.source, hit.chunk.start_line)
            text += "\n\n" if hit.chunk.text[:1] in (" ", "\t") and not goes_on else "\n"
        text += hit.chunk.text
    return text


def own_text(request: str, hits: Sequence[Hit]) -> str:
    """The text of the sections that define the idea (own_sections): never another idea's words."""
    return text_of(own_sections(request, hits))


def _defining(hit: Hit) -> tuple[bool, int, bool]:
    """Sort key of the passages that name an idea: first those that show a kind of idea, then the shortest heading,
    then one that opens its section (a section too long for one passage is found in parts: its heading and first
    lines define the idea, a later part holds its setup and variants)."""
    return not kinds_in_notes(hit.chunk.text), len(_heading(hit)), not _opens_section(hit)


def _opens_section(hit: Hit) -> bool:
    first = next((line for line in hit.chunk.text.splitlines() if line.strip()), "")
    return bool(hit.chunk.heading_path) and first.lstrip("# ").strip() == hit.chunk.heading_path[-1].strip()


def idea_passages(request: str, hits: Sequence[Hit]) -> list[Hit]:
    """What the code writer and its critic read: the sections that define the idea's terms (own_sections), with every
    part of them found and every subsection of the heading that names the idea (idea_headings; a section too long for
    one passage is found in parts, and a later part or a "Setup" subsection may hold the constants and the task), in
    line order, and, for a combination of ideas, the sections whose heading names all of them. Small models mix
    neighbouring ideas from the other hits into the code."""
    terms = idea_terms(request)
    combined = [h for h in hits if len(terms) > 1 and all(_word(t).search(_heading(h)) for t in terms)]
    headings = idea_headings(request, hits)
    return _overlaps_trimmed(_in_line_order([h for h in hits if h in combined or _under(h.chunk, headings)], headings))


def _overlaps_trimmed(passages: list[Hit]) -> list[Hit]:
    """`passages` without the lines a passage repeats from the one before it in its note (two widened hits of one long
    section overlap): a passage the one before holds whole is left out, one that begins with the other's last lines
    keeps only what follows them."""
    kept: list[Hit] = []
    read = ""  # the text of the kept passages since the last that did not overlap the one before it
    for hit in passages:
        before = kept[-1].chunk if kept else None
        if before is None or before.source != hit.chunk.source or hit.chunk.start_line > before.end_line:
            kept.append(hit)
            read = hit.chunk.text
            continue
        if hit.chunk.text in read:
            continue
        lines, held = hit.chunk.text.split("\n"), read.split("\n")
        shared = next((n for n in range(min(len(lines), len(held)), 0, -1) if lines[:n] == held[-n:]), 0)
        rest = "\n".join(lines[shared:])
        kept.append(replace(hit, chunk=replace(hit.chunk, text=rest, start_line=hit.chunk.start_line + shared,
                                               end_line=max(hit.chunk.end_line, before.end_line))) if shared else hit)
        read += "\n" + kept[-1].chunk.text
    return kept


def _in_line_order(chosen: Sequence[Hit], headings: set[tuple[str, tuple[str, ...]]]) -> list[Hit]:
    """`chosen` with the parts under each of `headings`, and of each other section, together in line order."""
    group = {id(h): next((heading for heading in headings if _under(h.chunk, {heading})), _section(h)) for h in chosen}
    order = list(dict.fromkeys(group.values()))
    return sorted(chosen, key=lambda h: (order.index(group[id(h)]), h.chunk.start_line))


def _section(hit: Hit) -> tuple[str, tuple[str, ...]]:
    return hit.chunk.source, tuple(hit.chunk.heading_path)


def idea_headings(request: str, hits: Sequence[Hit]) -> set[tuple[str, tuple[str, ...]]]:
    """(note, heading path) of each section that names the idea (named_sections, else the best hit), cut after the
    heading that names it: a note written as "# Gradient-difference momentum" with "## Rule", "## Setup",
    "## Baseline" below is the idea's whole, and its setup tells the task and the constants. A section no heading of
    which names the idea keeps its own path."""
    return _cut_headings(request, named_sections(request, hits) or _best_hit(hits))


def _best_hit(hits: Sequence[Hit]) -> list[Hit]:
    """The best hit that is no aside subsection ("## Expectation", "## Setup" of some note never define an idea),
    or the best hit when all are."""
    return [next((h for h in hits if not any(map(is_aside_heading, h.chunk.heading_path))), *hits[:1])] if hits else []


def _cut_headings(request: str, named: Sequence[Hit]) -> set[tuple[str, tuple[str, ...]]]:
    names = [_word(term) for term in _distinguishing(request)]
    found = set()
    for hit in named:
        path = tuple(hit.chunk.heading_path)
        named_at = [i + 1 for i, heading in enumerate(path) if any(_names_heading(heading, name) for name in names)]
        cut = named_at[0] if named_at else len(path)
        found.add((hit.chunk.source, path[:cut]))
    return found


def _names_heading(heading: str, name: re.Pattern[str]) -> bool:
    heading = heading.lower()
    return bool(name.search(heading) or name.search(_UNHYPHENATED.sub("", heading)))


def _under(chunk: Chunk, headings: set[tuple[str, tuple[str, ...]]]) -> bool:
    return any(in_section(chunk, source, path) for source, path in headings)


def _in_aside(chunk: Chunk, headings: set[tuple[str, tuple[str, ...]]]) -> bool:
    """The chunk lies in an aside subsection ("## Setup", "## Baseline") below the heading that names the idea."""
    return any(in_section(chunk, source, path) and any(map(is_aside_heading, chunk.heading_path[len(path):]))
               for source, path in headings)


def kinds_in_sections(request: str, hits: Sequence[Hit]) -> list[str]:
    """The kinds whose cue appears in the idea's defining sections, in the registry's order (guards/kinds.py)."""
    return kinds_in_notes(text_of(own_sections(request, hits)))


def formula_lines(request: str, hits: Sequence[Hit]) -> str:
    """The lines of the idea's defining sections that hold a formula, in order, at most
    MAX_RULE_CHARS; "" when they have none."""
    return formulas_in(own_sections(request, hits))


def formulas_in(hits: Sequence[Hit]) -> str:
    """The lines of `hits` that hold a formula, in order, without repeats, at most MAX_RULE_CHARS as plain notation
    (LaTeX markup not counted; a line that would go past it is left out, the shorter ones after it kept); none from
    a setup, expectation or variant section (guards/kinds.py `idea_lines`), none
    labelled as a variant (`一个软版本（先不用）：…`, kinds.VARIANT), none that checks the formula at a point. The parts of one note are read in their order, as one text."""
    texts = [_display_joined(_code_and_counts_as_formulas(_without_options(text))) for text in _notes_in_order(hits)]
    kept = [idea_lines(text, aside_headings=True) for text in texts]
    # A line one part shows under an aside's label (`Known problem: … So two variants:` above `(2) L = …`) is an
    # aside in every part, also one that starts below the label.
    asides = {line.strip() for text, idea in zip(texts, kept) for line in set(text.splitlines()) - set(idea)} - {""}
    lines = [_math_of_prose(line.strip()) if _FORMULA_LINE.search(line) else _function_named(line)
             for idea in kept
             for line in _conditions_carried(_continued(_without_restated(_without_replaced(
                 [line for line in idea if line.strip() not in asides]))))
             if not VARIANT.match(line) and ((_FORMULA_LINE.search(line) and not _AT_POINT.search(line.replace("$", ""))
                                              and not _DEFINITION.match(line)) or _function_named(line))]
    lines = _prose_clips_placed(lines, [line for idea in kept for line in idea])
    text, size = "", 0
    for line in dict.fromkeys(lines):
        if size + len(plain_formula(line)) + 1 > MAX_RULE_CHARS:
            continue  # a line too long for what is left (a paragraph of prose around one formula): the shorter ones after it
        size += len(plain_formula(line)) + 1
        text += line + "\n"
    return text.strip()


# A value clipped to a range said in words: "d_j 夹在 [0.5, 2] 之间", "α 裁剪到 [1e-4, 1.0]", "clip r to [0, 1]".
_PROSE_CLIP = re.compile(rf"(?<![\w\\])(?P<name>[A-Za-z\u0370-\u03ff][\w\u0370-\u03ff]*?)\s*(?:都|也)?\s*(?:夹在|裁剪到|截断到|限制在|"
                         rf"(?:is\s+)?(?:clip(?:ped)?|clamp(?:ed)?)\s+(?:in)?to)\s*[\[(]\s*(?P<low>{NUMBER})\s*,\s*(?P<high>{NUMBER})\s*[\])]",
                         re.IGNORECASE)


def _prose_clips_placed(lines: list[str], idea: list[str]) -> list[str]:
    """`lines` with each clip the idea's prose says of a value (_PROSE_CLIP) as a formula (`d_j = clip(d_j, 0.5, 2)`),
    placed just after the formula line that computes the value; a clip of a value no formula line computes is none."""
    for line in idea:
        if _FORMULA_LINE.search(line):
            continue
        for clip in _PROSE_CLIP.finditer(line.replace("−", "-")):
            name = clip["name"]
            computed = [i for i, formula in enumerate(lines)
                        if re.match(rf"^\s*(?:[-*]\s*)?\$?{re.escape(name)}\s*(?:=|←)", formula)]
            if computed:
                lines.insert(computed[0] + 1, f"{name} = clip({name}, {clip['low']}, {clip['high']})")
    return lines


def _function_named(line: str) -> str:
    """The letters a prose line names as functions, as formulas (`σ 取 softplus（分支内平滑非线性）` -> `σ = softplus`)."""
    return "，".join(f"{m[1]} = {m[2]}" for m in FUNCTION_ALIAS.finditer(plain_formula(line)) if re.fullmatch(r"[\u0370-\u03ff]", m[1]))


def _notes_in_order(hits: Sequence[Hit]) -> list[str]:
    """The texts of `hits`, the parts of each note in the order of their lines, a part that goes on where the one
    before ends joined to it as one text (a condition at the end of one holds for the formulas at the start of the
    next), the notes in the order of their first hit."""
    parts: dict[str, list[Chunk]] = {}
    for hit in hits:
        parts.setdefault(hit.chunk.source, []).append(hit.chunk)
    texts = []
    for chunks in parts.values():
        before = None
        for chunk in sorted(chunks, key=lambda c: c.start_line):
            if before is not None and (separator := continuation(before, chunk)) is not None:
                texts[-1] += separator + chunk.text
            else:
                texts.append(chunk.text)
            before = chunk
    return texts


# Inline math of a prose paragraph that holds a formula: `The appeal: a unit $y_j = \max_i (x_i + w_{ji})$ is …`.
_INLINE_FORMULA = re.compile(r"\$([^$\n]*(?:=|\\leftarrow|\\gets|\\sim|~)[^$\n]*)\$")
_PROSE_LINE_CHARS = 200


def _math_of_prose(line: str) -> str:
    """A long prose line as the formulas its inline math holds (`$…$` spans with an assignment or a draw, joined by
    "; "); any other line as it is."""
    spans = _INLINE_FORMULA.findall(line)
    return "; ".join(f"${span.strip()}$" for span in spans) if len(line) > _PROSE_LINE_CHARS and spans else line


# A step written as code, in place: `w -= lr * m_hat / (sqrt(v_hat) + eps)`, `v += g*g  # 累加`.
_IN_PLACE = re.compile(r"^(?P<indent>\s*(?:[-*]\s+)?)(?P<target>[A-Za-z_\u0370-\u03ff][\w\u0370-\u03ff]*)\s*(?P<op>[-+*/])="
                       r"(?!=)\s*(?P<value>[^#\n]+?)\s*(?P<comment>#.*)?$", re.MULTILINE)


def _without_options(text: str) -> str:
    """`text` without what each line says could also be done (kinds.ALSO_POSSIBLE), a variant's line left whole."""
    return "\n".join(line if VARIANT.match(line) else ALSO_POSSIBLE.sub("", line) for line in text.split("\n"))


# A count of the indices where something holds: `r = #{ c : z_c > z_y }`.
_COUNT = re.compile(r"\\?#\s*\\?\{\s*([A-Za-z])\s*[:|]\s*([^{}\n]+?)\s*\\?\}")


def _code_and_counts_as_formulas(text: str) -> str:
    """`text` with each step written as an in-place code operation written as the assignment it is
    (`w -= lr * g` as `w = w - (lr * g)`), and each count of indices as the sum it is (`#{c : z_c > z_y}` as
    `Σ_c 1[z_c > z_y]`)."""
    text = _COUNT.sub(lambda m: f"Σ_{m[1]} 1[{m[2]}]", text)
    return _IN_PLACE.sub(lambda m: f"{m['indent']}{m['target']} = {m['target']} {m['op']} ({m['value']})"
                                   + (f"  {m['comment']}" if m["comment"] else ""), text)


def _display_joined(text: str) -> str:
    """`text` with each LaTeX cases formula written over several lines on one line (its target may stand on the line
    before: `\\eta_t =` / `\\begin{cases}` / rows / `\\end{cases}`)."""
    return _DISPLAY.sub(lambda m: " ".join(line.strip() for line in m[0].splitlines()), text)


def _continued(lines: list[str]) -> list[str]:
    """`lines` with a line that goes on the formula above (`lr(t) = lr0*t/W  if t < W` / `      = lr0  if W <= t`)
    given that formula's target."""
    written, target = [], None
    for line in lines:
        if target and (more := _CONTINUED.match(line)):
            line = f"{target} = {more[1]}"
        elif found := _TARGET.match(line):
            target = found[1]
        elif line.strip():
            target = None
        written.append(line)
    return written


# A condition alone on its line, over the formulas below it (`- 如果 $\rho_t > 4$：`, `if step > T_w:`), and the line that
# gives what holds otherwise (`- 否则（前几步）：θ = θ − η·m`).
_CONDITION_HEADER = re.compile(r"^\s*(?:[-*]\s*)?(?:如果|若|当|\bif\b|\bwhen\b)\s*(?P<condition>[^：:，,=]*?[<>≤≥][^：:，,=]*?)\s*时?\s*"
                               r"[：:，,]?\s*(?:则|就|\bthen\b)?\s*$", re.IGNORECASE)
_OTHERWISE_HEADER = re.compile(r"^(?P<indent>\s*(?:[-*]\s*)?)(?:否则|其他情况|其余情况|\botherwise\b|\belse\b)\s*"
                               r"(?:[（(][^）)\n]*[）)])?\s*[：:，,]\s*(?=\S)", re.IGNORECASE)


def _conditions_carried(lines: list[str]) -> list[str]:
    """`lines` with a condition said alone on its line carried onto the formulas below it that the line starting
    "otherwise" (否则) gives another value (`θ = … （ρ > 4）`, then `θ = …` as its alternative); the condition line
    goes. Lines without such a pair stay as they are."""
    written, i = [], 0
    while i < len(lines):
        header, block, j = _CONDITION_HEADER.match(lines[i]), [], i + 1
        while header and j < len(lines) and _FORMULA_LINE.search(lines[j]) and not _OTHERWISE_HEADER.match(lines[j]):
            block.append(lines[j])
            j += 1
        otherwise = _OTHERWISE_HEADER.match(lines[j]) if header and block and j < len(lines) else None
        if otherwise is None:
            written.append(lines[i])
            i += 1
            continue
        alternative = otherwise["indent"] + lines[j][otherwise.end():]
        changed = _formula_targets([alternative])
        written += [f"{line}（{header['condition']}）" if _formula_targets([line]) & changed else line for line in block]
        written.append(alternative)
        i = j + 1
    return written


def _formula_targets(lines: list[str]) -> set[str]:
    """The names the formula lines assign, their notation made plain."""
    return {found[1] for line in lines if (found := _TARGET.match(plain_formula(line)))}


def _without_restated(lines: list[str]) -> list[str]:
    """`lines` without the formulas a prose line before them says restate the rule said above it (_RESTATED_NEXT):
    the formula lines that follow it, up to the first line that is neither a formula nor blank after one."""
    kept, said, restating, seen = [], False, False, False
    for line in lines:
        formula = bool(_FORMULA_LINE.search(line))
        if not formula and line.strip():
            restating, seen = said and bool(_RESTATED_NEXT.search(line)), False
        elif restating and formula:
            seen = True
            continue
        elif restating and seen:
            restating = False  # a blank line after the restated formulas
        said = said or formula
        kept.append(line)
    return kept


def _without_replaced(lines: list[str]) -> list[str]:
    """`lines` without a formula the line before it says the idea replaces ("每个 hidden layer 从" / `h = σ(W x + b)` /
    "换成" / …; "Replace" / `y = Wx + b` / "with" / …) or labelled as the usual method (`普通 mixup：x̃ = …`): the
    baseline's, not the idea's."""
    kept, before = [], ""
    for line in lines:
        if not (_FORMULA_LINE.search(line) and (_REPLACED_NEXT.search(before) or _CONTRAST_LABEL.match(line))):
            kept.append(line)
        before = line if line.strip() else before
    return kept


def passages_for_hook(request: str, hits: Sequence[Hit], hook: str) -> tuple[list[Hit], list[str]]:
    """The idea's passages of a kind that `hook` expresses, and those kinds (a missing hook is
    asked for with only the passages about it)."""
    passages = [h for h in idea_passages(request, hits) if _kinds_with_hook(h.chunk.text, hook)]
    return passages, _kinds_with_hook(text_of(passages), hook)


def _kinds_with_hook(text: str, hook: str) -> list[str]:
    return [kind for kind in kinds_in_notes(text) if hook in BY_NAME[kind].hooks]


def note_pairs(request: str, hits: Sequence[Hit]) -> list[tuple[str, str, str, str]]:
    """The bracketed sums and differences of two names in the idea's defining sections, and the
    outputs they name as a product of two names (not in what the line says the idea replaces), each with the note
    line it stands in:
    `w = (w1+w2)/2` -> ("w1", "+", "w2", "w = (w1+w2)/2"); `xor = -a*b` -> ("a", "*", "b", ...)."""
    found: dict[tuple[str, str, str], str] = {}
    for h in own_sections(request, hits):
        for line in h.chunk.text.splitlines():
            idea_part = _REPLACED.sub("", line)  # the baseline's formula the idea replaces is no formula to compute
            for pair in _PAIR.findall(_HYPHENATED.sub(" ", idea_part)) + _PRODUCT.findall(idea_part):
                if not {pair[0].lower(), pair[2].lower()} & _MODULE_NAMES:  # （Linear + ReLU）: a layer said in words
                    found.setdefault(pair, line.strip())
    return [(*pair, line) for pair, line in found.items()]
