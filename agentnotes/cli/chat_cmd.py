"""`agentnotes chat`: a conversation over the notes; follow-ups are understood from the earlier turns."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import typer

from agentnotes.agents.answer import ANSWER_SEED
from agentnotes.cli.ask_cmd import print_result
from agentnotes.cli.output import console, err_console, print_json
from agentnotes.cli.progress import model_progress

if TYPE_CHECKING:
    from agentnotes.chat import Conversation

EXIT = "/exit"


def chat(
    resume: str | None = typer.Option(None, "--resume", metavar="ID", help="Continue the saved conversation ID."),
    list_chats: bool = typer.Option(False, "--list", help="List the saved conversations and exit."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per answer (as ask --json, plus the "
                                 "conversation id and the standalone question)."),
    allow_secrets: bool = typer.Option(False, "--allow-secrets", help="Send chunks flagged as secrets to a remote LLM provider."),
    check: bool = typer.Option(True, "--check/--no-check", help="Let the critic check each statement against the cited notes."),
) -> None:
    """Talk with your notes: one question a line (from the keyboard or a pipe), /exit to end.

    Each answer is cited as 'ask' cites; the conversation is saved under the home and can be resumed."""
    from agentnotes.chat import Conversation, chat_turn, list_conversations
    from agentnotes.index.embedders import get_embedder
    from agentnotes.llm.provider import get_chat_model
    from agentnotes.settings import load_settings

    settings = load_settings()
    if list_chats:
        _print_list(list_conversations(settings), as_json)
        return
    conversation = Conversation.load(settings, resume) if resume else Conversation.new(settings)
    with model_progress(quiet=as_json) as on_progress:
        model = get_chat_model(settings, seed=ANSWER_SEED, on_model_progress=on_progress)
    embeddings = get_embedder(settings)
    share_secrets = not settings.is_remote_llm or allow_secrets or settings.allow_secrets_remote
    interactive = sys.stdin.isatty() and not as_json
    if not as_json:
        done = f", {len(conversation.turns)} earlier turn(s)" if conversation.turns else ""
        err_console().print(f"[dim]Conversation {conversation.id}{done}. One question a line; {EXIT} ends.[/]")
    while (question := _read_question(interactive)) is not None:
        if not question:
            continue
        if question == EXIT:
            break
        stream = None if as_json else (lambda token: console().print(token, end="", markup=False, highlight=False))
        result = chat_turn(settings, model, conversation, question, share_secrets=share_secrets, check=check,
                           on_standalone=None if as_json else _show_standalone(question), on_token=stream,
                           embeddings=embeddings)
        if as_json:  # one line per answer, so a script can read them as they come
            record = {"conversation": conversation.id, "standalone_question": conversation.turns[-1].standalone,
                      **result.as_dict(), "question": question}
            sys.stdout.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            sys.stdout.flush()
        else:
            print_result(result)
    if conversation.turns and not as_json:
        err_console().print(f"[dim]Saved; continue with: agentnotes chat --resume {conversation.id}[/]")


def _show_standalone(question: str) -> Callable[[str], None]:
    def show(standalone: str) -> None:
        if standalone != question:
            err_console().print(f"[dim]searching: {standalone}[/]", highlight=False)

    return show


def _read_question(interactive: bool) -> str | None:
    """The next line of stdin, stripped; None at the end of input."""
    if interactive:
        err_console().print("[bold]>[/] ", end="")
    line = sys.stdin.readline()
    return line.strip() if line else None


def _print_list(conversations: list[Conversation], as_json: bool) -> None:
    if as_json:
        print_json([{"id": c.id, "turns": len(c.turns), "first_question": c.turns[0].question if c.turns else None,
                     "path": str(c.path)} for c in conversations])
        return
    if not conversations:
        console().print("No saved conversations yet: start one with 'agentnotes chat'.")
    for c in conversations:
        first = c.turns[0].question if c.turns else "(empty)"
        console().print(f"[bold]{c.id}[/]  {len(c.turns)} turn(s)  [dim]{first[:80]}[/]", highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(chat)
