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


class CountingChatModel(RecordingChatModel):
    """A recording fake chat model that also reports token counts, as a real model does: a reply with
    no prompt tokens stands for code the program wrote without asking the model."""

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):  # noqa: ANN001, ANN003
        result = super()._generate(messages, stop, run_manager, **kwargs)
        result.generations[0].message.usage_metadata = _usage(messages, result.generations[0].message.content)
        return result

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):  # noqa: ANN001, ANN003
        for n, chunk in enumerate(super()._stream(messages, stop, run_manager, **kwargs)):
            if n == 0:
                chunk.message.usage_metadata = _usage(messages, "")
            yield chunk


def _usage(messages, reply: str) -> dict:  # noqa: ANN001
    prompt = sum(len(str(m.content).split()) for m in messages)
    return {"input_tokens": prompt, "output_tokens": len(reply.split()), "total_tokens": prompt + len(reply.split())}
