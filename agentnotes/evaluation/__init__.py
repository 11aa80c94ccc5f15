"""Evaluation of retrieval and answers against labelled questions."""
