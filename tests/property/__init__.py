"""Property-based tests: the issuing rules against a sequential reference model."""
