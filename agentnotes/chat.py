"""Chat: a conversation over the notes. A follow-up is first condensed, with the earlier turns, into a
standalone question; that question is then answered exactly as `ask` answers it (pipeline/ask.py).

Conversations are saved as JSON lines, one turn a line, in `$AGENTNOTES_HOME/chats/<id>.jsonl`, so a
conversation is resumed by reading its turns back.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentnotes.agents.answer import strip_citations
from agentnotes.agents.llm_call import call_llm
from agentnotes.errors import InputError
from agentnotes.prompts import Prompt
from agentnotes.settings import Settings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models.chat_models import BaseChatModel

    from agentnotes.pipeline.ask import AskResult

HISTORY_TURNS = 4  # earlier turns the condensing prompt sees (a small model loses track in long ones)
HISTORY_ANSWER_CHARS = 400  # each earlier answer, shortened
CONDENSE_MAX_TOKENS = 100


@dataclass(frozen=True)
class Turn:
    """One question of a conversation: as typed, as answered (standalone), and the cited answer."""

    question: str
    standalone: str
    answer: str
    in_notes: bool
    citations: tuple[dict[str, Any], ...]
    asked_at: str


def chats_dir(settings: Settings) -> Path:
    return settings.home / "chats"


class Conversation:
    """A saved conversation: its id, file and turns; `add` appends a turn to the file at once."""

    def __init__(self, path: Path, turns: Sequence[Turn] = ()) -> None:
        self.path = path
        self.turns = list(turns)

    @property
    def id(self) -> str:
        return self.path.stem

    @classmethod
    def new(cls, settings: Settings) -> Conversation:
        folder = chats_dir(settings)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        n = 1
        while (path := folder / (stamp if n == 1 else f"{stamp}-{n}")).with_suffix(".jsonl").exists():
            n += 1
        return cls(path.with_suffix(".jsonl"))  # the file is written with the first turn

    @classmethod
    def load(cls, settings: Settings, chat_id: str) -> Conversation:
        path = chats_dir(settings) / f"{chat_id}.jsonl"
        if "/" in chat_id or not path.is_file():
            raise InputError(f"No conversation {chat_id!r} in {chats_dir(settings)}; list them with 'agentnotes chat --list'.")
        try:
            turns = [_turn(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        except (ValueError, TypeError, KeyError) as exc:
            raise InputError(f"Conversation file {path} is damaged ({exc}); fix or delete it.") from None
        return cls(path, turns)

    def add(self, turn: Turn) -> None:
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(asdict(turn), ensure_ascii=False) + "\n")
        self.turns.append(turn)


def _turn(data: dict[str, Any]) -> Turn:
    return Turn(**{**data, "citations": tuple(data["citations"])})


def list_conversations(settings: Settings) -> list[Conversation]:
    """Saved conversations, the most recent first."""
    paths = sorted(chats_dir(settings).glob("*.jsonl"), key=lambda p: p.stat().st_mtime, reverse=True)
    return [Conversation.load(settings, p.stem) for p in paths]


def format_history(turns: Sequence[Turn]) -> str:
    """The last turns as 'User: ...' / 'Assistant: ...' lines, answers without citation marks and shortened."""
    lines = []
    for turn in turns[-HISTORY_TURNS:]:
        answer = " ".join(strip_citations(turn.answer).split())
        if len(answer) > HISTORY_ANSWER_CHARS:
            answer = answer[:HISTORY_ANSWER_CHARS] + " …"
        lines += [f"User: {turn.standalone}", f"Assistant: {answer}"]
    return "\n".join(lines)


def condense_question(model: BaseChatModel, prompt: Prompt, turns: Sequence[Turn], question: str) -> str:
    """`question` rewritten to stand on its own, given the earlier `turns` (unchanged when there are none)."""
    if not turns:
        return question
    reply = call_llm(model, prompt, {"history": format_history(turns), "question": question},
                     temperature=0.0, max_tokens=CONDENSE_MAX_TOKENS, seed=0)
    lines = [line.strip() for line in reply.text.strip().splitlines() if line.strip()]
    standalone = lines[0].removeprefix("Standalone question:").strip() if lines else ""
    return standalone or question


def chat_turn(
    settings: Settings,
    model: BaseChatModel,
    conversation: Conversation,
    question: str,
    *,
    share_secrets: bool,
    check: bool = True,
    on_standalone: Callable[[str], None] | None = None,
    on_token: Callable[[str], None] | None = None,
    embeddings: Embeddings | None = None,
) -> AskResult:
    """Answer `question` in `conversation`, as `ask` answers its standalone form; the turn is saved."""
    from agentnotes.pipeline.ask import ask_notes
    from agentnotes.prompts import load_prompt

    standalone = condense_question(model, load_prompt("condense_question", settings.prompts_dir),
                                   conversation.turns, question)
    if on_standalone:
        on_standalone(standalone)
    result = ask_notes(settings, model, standalone, share_secrets=share_secrets, check=check,
                       on_token=on_token, embeddings=embeddings)
    answer = result.answer
    conversation.add(Turn(question, standalone, answer.text, answer.in_notes,
                          tuple(asdict(c) for c in answer.citations), time.strftime("%Y-%m-%dT%H:%M:%S")))
    return result
