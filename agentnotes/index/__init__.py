"""The index: embeddings (cached by content hash), the sqlite catalog that is the source of
truth, and Chroma as a rebuildable vector index."""
