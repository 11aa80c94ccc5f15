"""The prompt audit agents on the shipped answer prompt, clean and with planted problems.

Run: python benchmarks/prompt_audit.py   (embedded model)
For each case: whether the planted problem was found, how many other findings there were (false
alarms: the clean prompt has none to find), the LLM calls and the time.
"""

from __future__ import annotations

import time

from _common import row, temp_home

BRIEF = "- Be brief: at most 4 sentences."
CITED = "Answer: At inference time dropout drops nothing; units are only dropped at random during training [1]."
CASES = {  # name -> (line to add after BRIEF or to replace CITED, the line the planted finding must name)
    "clean": (None, None),
    "contradiction": ("- Explain the answer in great detail, in at least 10 sentences.", "in at least 10 sentences"),
    "example without citation": (CITED.replace(" [1].", "."), "during training."),
}


def planted(system: str, case: str) -> str:
    line, _ = CASES[case]
    if line is None:
        return system
    if line.startswith("Answer:"):
        return system.replace(CITED, line)
    return system.replace(BRIEF, f"{BRIEF}\n{line}")


def main() -> None:
    temp_home("prompt-audit")
    from agentnotes.llm.provider import get_chat_model
    from agentnotes.optimize.prompt_audit import audit_prompt
    from agentnotes.prompts import load_shipped
    from agentnotes.settings import load_settings

    model = get_chat_model(load_settings())
    system = load_shipped("answer").system
    print(row("case", "found", "false alarms", "calls", "seconds", widths=(28, 8, 14, 8, 10)))
    for case, (_, marker) in CASES.items():
        start = time.perf_counter()
        findings, replies = audit_prompt(model, planted(system, case))
        hits = [f for f in findings if marker and (marker in f.old or marker in f.new)]
        print(row(case, "-" if marker is None else ("yes" if hits else "no"), len(findings) - len(hits), len(replies),
                  f"{time.perf_counter() - start:.0f}", widths=(28, 8, 14, 8, 10)))
        for f in findings:
            print(f"    {f.kind}: {f.old[:70]!r} -> {f.new[:70] or '(left out)'!r}")


if __name__ == "__main__":
    main()
