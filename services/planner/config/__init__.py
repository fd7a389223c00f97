"""Data files of the planner: defaults and templates for briefs (briefs.yaml)."""
