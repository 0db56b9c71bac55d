"""Benchmarks of coupon-service against ceilings measured in the same run.

`make bench` (`python -m benchmarks`) and `make bench-quick` (`--quick`). The modules, in the
order a run uses them:

- run.py: the command line; stores and scenarios to run; the report at the end.
- servers.py: server processes (`python -m benchmarks.server_process`) and the PostgreSQL
  database each run creates and drops.
- server_process.py: the server launcher: `coupon_service.app.start` plus the empty RPC.
- workers.py, load.py, calls.py, rest_client.py: the client processes, what they run, and the
  calls they make over gRPC and REST.
- harness.py, meters.py: the closed loop, percentiles, the result row; CPU and RSS meters.
- ceilings.py: the raw driver rates (aiosqlite, asyncpg) on a coupons-shaped scratch table.
- store_run.py, scenarios.py, redeem.py, big.py, fixtures.py, profiles.py: what is measured,
  with how much work.
- ratios.py, report.py, record.py: every result against its ceiling and target; the table;
  latest.json.
"""
