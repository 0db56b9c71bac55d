"""Use cases: one function per operation, called by every entry point."""
