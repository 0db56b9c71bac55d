"""`python -m benchmarks`: see benchmarks/run.py for the options."""

from __future__ import annotations

if __name__ == "__main__":  # Not when a spawned client process re-imports this module.
    from .run import main

    main()
