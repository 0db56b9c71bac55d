"""Every result as a ratio of its ceiling, and the performance targets as pass/fail.

Ceilings, all from the same run:
- call rates (IssueMultiple n=1, RedeemCoupon, BulkIssue, REST): the echo (empty RPC) at the
  same concurrency on the same server set;
- coupon and code rates (n=500, the big upload and issue): the raw 500-row insert on the
  same database kind;
- REST also against gRPC n=1 at the same concurrency, two replicas also against one.

Targets: n=1 at c=16 >= 0.50 x echo with p99 < 25 ms on SQLite, >= 0.30 x on
PostgreSQL, two replicas >= 1.00 x one; n=500 >= 0.60 x raw insert; REST >= 0.60 x gRPC;
upload of 1M < 10 s; issue of 1M < 30 s on SQLite (both scaled with a scaled-down run); RSS
growth < 50 MB; and no code issued twice wherever codes were kept. RedeemCoupon has no rate
target; its checks are that no code or redemption id is answered twice, and that GetCoupon
shows each sampled code with the one redemption its call answered.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from .harness import Result


@dataclasses.dataclass
class Comparison:
    against: str  # what the result is compared with, e.g. "echo c=16"
    ceiling: float | None
    ratio: float | None
    target: str = ""  # the target, as printed; empty when there is none
    passed: bool | None = None  # None: no target, or nothing to compare with


def _find(results: Sequence[Result], store: str, key: str, concurrency: int) -> Result | None:
    return next(
        (r for r in results if (r.store, r.key, r.concurrency) == (store, key, concurrency)), None
    )


def _ratio(result: Result, ceiling: Result | None, against: str) -> Comparison:
    base = None if ceiling is None else ceiling.rate
    ratio = None if base is None or result.rate is None or base <= 0 else result.rate / base
    return Comparison(against, base, ratio)


def _at_least(comparison: Comparison, minimum: float, extra: str = "") -> Comparison:
    comparison.target = f">= {minimum:.2f}x{extra}"
    comparison.passed = None if comparison.ratio is None else comparison.ratio >= minimum
    return comparison


def compare(result: Result, results: Sequence[Result]) -> list[Comparison]:
    """The comparisons of one result; the ceilings themselves get none."""
    base_store = result.store.split(" ")[0]
    c = result.concurrency
    key = result.key
    out: list[Comparison] = []
    if key.startswith("issue1.") or key in ("bulk10", "rest1", "redeem1"):
        echo = _ratio(result, _find(results, result.store, "echo", c), f"echo c={c}")
        if key.startswith("issue1.") and c == 16 and result.store == "sqlite":
            _at_least(echo, 0.50, ", p99 < 25 ms")
            fast = result.p99_ms is not None and result.p99_ms < 25
            echo.passed = bool(echo.passed and fast) if echo.passed is not None else None
        elif key.startswith("issue1.") and c == 16 and result.store == "postgres":
            _at_least(echo, 0.30)
        out.append(echo)
        if key.startswith("issue1.") and result.store != base_store:
            one = _ratio(result, _find(results, base_store, key, c), f"1 replica c={c}")
            out.append(_at_least(one, 1.00) if c == 16 else one)
        elif key == "redeem1" and result.store != base_store:
            out.append(_ratio(result, _find(results, base_store, key, c), f"1 replica c={c}"))
        if key == "rest1":
            grpc = _find(results, result.store, "issue1.generated", c)
            out.append(_at_least(_ratio(result, grpc, f"gRPC n=1 c={c}"), 0.60))
    elif key.startswith(("issue500.", "upload1m", "issue1m")):
        raw = _find(results, base_store, "raw.insert500", 1)
        comparison = _ratio(result, raw, "raw 500-row insert")
        if key.startswith("issue500."):
            _at_least(comparison, 0.60)
        out.append(comparison)
        out.extend(_duration_target(result))
    elif key == "rss" and result.rate is not None:
        out.append(Comparison("-", None, None, "< 50 MB growth", result.rate < 50))
    if "duplicates" in result.extra:
        duplicates = int(result.extra["duplicates"])
        received = int(result.extra.get("codes_received", 0))
        out.append(
            Comparison(f"{received:,} codes kept", None, None, "no code twice", duplicates == 0)
        )
    out.extend(_redemption_checks(result))
    return out


def _redemption_checks(result: Result) -> list[Comparison]:
    """RedeemCoupon's: every redemption answered has an id of its own, and GetCoupon shows the
    sampled codes redeemed once, by the call that answered."""
    out = []
    if "redemption_id_duplicates" in result.extra:
        ids = int(result.extra.get("redemption_ids", 0))
        unique = int(result.extra["redemption_id_duplicates"]) == 0
        out.append(Comparison(f"{ids:,} redemption ids", None, None, "no id twice", unique))
    if "read_back" in result.extra:
        sampled = int(result.extra["read_back"])
        once = int(result.extra.get("read_back_redeemed_once", 0))
        against = f"GetCoupon of {sampled} codes"
        read = 0 < once == sampled
        out.append(Comparison(against, None, None, "1 redemption each", read))
    return out


def _duration_target(result: Result) -> list[Comparison]:
    limits = {"upload1m": 10.0, "issue1m": 30.0}
    if result.key not in limits or "duration_s" not in result.extra:
        return []
    if result.key == "issue1m" and result.store != "sqlite":
        return []  # The target is for SQLite.
    scale = float(result.extra.get("scale", 1.0))
    limit = limits[result.key] * scale
    seconds = float(result.extra["duration_s"])
    projected = " projected" if result.extra.get("projected") else ""
    scaled = f" (scaled x{scale:g})" if scale != 1 else ""
    return [
        Comparison(
            f"took {seconds:.1f} s{projected}",
            None,
            None,
            f"< {limit:g} s{scaled}",
            seconds < limit,
        )
    ]
