"""Stress: the large attacks on real server processes, checked in the database afterwards.

`make stress` (`python -m stress`) and `--quick`. Two server replicas on one fresh PostgreSQL
database and one server on a SQLite file, started as `make bench` starts them
(`benchmarks.servers`); the modules, in the order a run uses them:

- run.py: the command line; each store's servers; the table and the exit status.
- profiles.py: how big each scenario is (full and quick).
- replicas.py: a server slot whose process can be SIGKILLed and restarted on new ports.
- series.py: the series and code pools a scenario issues from, made through the public API.
- calls.py: one issuing call with a request id over gRPC or REST, retried by its key until it
  has a final answer; every attempt's status tallied.
- load.py: concurrent clients making those calls, with progress lines.
- scenarios.py: the four attacks: a pool race, limits across replicas, SIGKILLs, terminated
  database backends.
- audit.py: what the database holds afterwards: duplicates, limits exceeded, each key's
  coupons against its answer, and every answer replayed.
- report.py: the table, and what counts as a breach.
"""
