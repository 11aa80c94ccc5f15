"""Results: statistics, plots, run directories and reports."""
