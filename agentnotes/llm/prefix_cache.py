"""The KV cache of system prompts, kept on disk so that a fresh process skips their prompt processing.

Every agent sends the same system prompt each time (role, instructions, examples: most of a prompt's
tokens). The first time one is seen, it is processed alone and llama.cpp's state for it is saved (its slot
save/restore API on the in-process server) before the request goes on from it; later calls, in this or any later
process, restore it and process only the rest. A file that cannot be restored is deleted and saved anew.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.request
from pathlib import Path
from typing import Any

SLOT = 0  # the embedded server runs one slot (n_parallel = 1)


class PrefixCache:
    """Saves and restores the slot state of system prompts under `folder` (llama.cpp's slot_save_path)."""

    def __init__(self, server: Any, folder: Path, model_file: str) -> None:
        self.server = server
        self.folder = folder
        self.model_file = model_file
        self.current: str | None = None  # the system prompt whose state the slot holds

    def key(self, messages: list[dict]) -> str | None:
        if not messages or messages[0].get("role") != "system":
            return None
        text = json.dumps([self.model_file, messages[0]["content"]], ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def before(self, messages: list[dict]) -> None:
        """Put this request's system prompt in the slot when it holds another: restore its saved state, or,
        the first time it is seen (or its file is damaged), process it alone and save that. Saved before the
        request, not after: saving afterwards evicts the request's own prompt from the slot, so the same
        request asked again (another draw of the code) would be processed again."""
        key = self.key(messages)
        if key is None or key == self.current:
            return
        saved = self.folder / f"{key}.bin"
        if saved.exists() and self._slot_action("restore", saved.name):
            self.current = key
            return
        if saved.exists():  # a damaged or incompatible file: forget it and start the slot afresh
            saved.unlink(missing_ok=True)
            self._slot_action("erase")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.server.handle_chat_completions({"messages": messages[:1], "max_tokens": 1, "temperature": 0.0})
        partial = f"{key}.{os.getpid()}.partial"
        if self._slot_action("save", partial):
            os.replace(self.folder / partial, saved)
        self.current = key

    def _slot_action(self, action: str, filename: str | None = None) -> bool:
        body = json.dumps({"filename": filename} if filename else {}).encode()
        request = urllib.request.Request(f"{self.server.listening_address}/slots/{SLOT}?action={action}", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status == 200
        except OSError:
            return False
