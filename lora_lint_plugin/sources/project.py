"""Where a file's project lies on disk: the directories searched for its project files and modules."""

from __future__ import annotations

import os
from typing import Iterator


def directories_up_to_root(start: str, levels: int) -> Iterator[str]:
    """``start`` and up to ``levels`` directories above it, stopping at a repository root
    (a directory holding ``.git``, a folder or a worktree's file) or the filesystem root."""
    current = start
    for _ in range(levels + 1):
        yield current
        parent = os.path.dirname(current)
        if parent == current or exists(os.path.join(current, ".git")):
            return
        current = parent


# A project's files and modules are looked for in several directories, most of which hold
# none of them: ``os.path.exists``/``isfile`` raise and catch an exception for each path that
# is not there (~9.5 K instructions, against ~2.8 K for an ``access`` that says no).
def exists(path: str) -> bool:
    """``os.path.exists``, without an exception when nothing is there."""
    try:
        return os.access(path, os.F_OK)
    except ValueError:   # a NUL in the path: nothing can be there, as ``exists`` answers
        return False


def is_file(path: str) -> bool:
    """``os.path.isfile``, without an exception when nothing is there."""
    return exists(path) and os.path.isfile(path)
