"""Fixes: span edits described by rules, realised with LibCST, and written back safely."""
