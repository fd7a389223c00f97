"""Example screenplays shipped with the CLI (package data)."""
