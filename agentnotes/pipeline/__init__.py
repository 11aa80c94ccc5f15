"""Pipelines that join the stages: notes -> retrieval -> agents -> runner -> results."""
