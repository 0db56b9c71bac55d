"""Operator commands: CSV uploads and imports with progress, series and coupons, over gRPC or
on the database directly (see commands)."""

from __future__ import annotations

from .commands import COMMANDS, add_to, run

__all__ = ["COMMANDS", "add_to", "run"]
