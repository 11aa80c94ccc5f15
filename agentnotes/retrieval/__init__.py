"""Retrieval: multilingual dense search plus jieba BM25, fused."""
