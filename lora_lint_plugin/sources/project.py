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
        if parent == current or os.path.exists(os.path.join(current, ".git")):
            return
        current = parent
