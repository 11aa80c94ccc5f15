"""The lab: the trusted, self-contained harness script (tasks, hooks, training, metrics), its config and assembly."""
