"""End-to-end tests: a real server on free ports, real channels, real HTTP, real subprocesses."""

import pytest

# The shared helpers assert too: rewritten like the test modules, a failure shows its values.
pytest.register_assert_rewrite("tests.e2e.helpers")
