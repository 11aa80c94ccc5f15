"""Fakes shared by the unit tests of logic."""

from __future__ import annotations

from langchain_core.language_models.fake_chat_models import FakeListChatModel
from pydantic import Field


class RecordingChatModel(FakeListChatModel):
    """A fake chat model that answers from its list and keeps the prompt of every call, in order, streamed or not."""

    seen: list[str] = Field(default_factory=list)

    def _call(self, messages, stop=None, run_manager=None, **kwargs):  # noqa: ANN001, ANN003
        self.seen.append("\n".join(str(m.content) for m in messages))
        return super()._call(messages, stop, run_manager, **kwargs)

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):  # noqa: ANN001, ANN003
        self.seen.append("\n".join(str(m.content) for m in messages))
        return super()._stream(messages, stop, run_manager, **kwargs)
