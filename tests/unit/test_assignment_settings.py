"""The rules an instructor's assignment settings must keep, each limit from both sides."""

from __future__ import annotations
