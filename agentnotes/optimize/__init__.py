"""Metric-driven prompt optimization (gepa's reflective evolution with our model and metric)."""
