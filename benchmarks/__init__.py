"""Benchmarks of coupon-service. `make bench` runs `python -m benchmarks.issue_bench`."""
