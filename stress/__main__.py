"""`python -m stress`: see stress/run.py for the options."""

from __future__ import annotations

from .run import main

main()
