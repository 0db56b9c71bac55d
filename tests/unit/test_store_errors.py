"""The one table of database failures that mean "unavailable, retry" (adapters/store_errors)."""

from __future__ import annotations

import sqlite3

import asyncpg
import pytest
from sqlalchemy import exc as sa_exc

from coupon_service.adapters.store_errors import raise_store_failure, store_failure
from coupon_service.service.unit_of_work import IdentifierTaken, StoreConflict, StoreUnavailable


def _wrapped(driver_error: Exception) -> sa_exc.DBAPIError:
    """As SQLAlchemy raises a driver's error: a DBAPIError with the original as `orig`."""
    return sa_exc.DBAPIError.instance("SELECT 1", None, driver_error, Exception)


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.TooManyConnectionsError("too many clients"),
        asyncpg.exceptions.QueryCanceledError("canceling statement due to statement timeout"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
        asyncpg.InterfaceError("connection is closed"),
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError(),
        sa_exc.TimeoutError("QueuePool limit reached"),
        sqlite3.OperationalError("database is locked"),
        sqlite3.OperationalError("disk I/O error"),
        sqlite3.OperationalError("unable to open database file"),
        sqlite3.DatabaseError("file is not a database"),
        _wrapped(sqlite3.OperationalError("database is locked")),
    ],
    ids=lambda error: type(error).__name__,
)
def test_what_the_database_could_not_do_just_now_is_unavailable(error: Exception) -> None:
    failure = store_failure(error)
    assert type(failure) is StoreUnavailable


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.SerializationError("could not serialize access"),
        asyncpg.exceptions.DeadlockDetectedError("deadlock detected"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_a_transaction_the_database_gave_up_on_is_a_conflict(error: Exception) -> None:
    assert isinstance(store_failure(error), StoreConflict)


def test_a_driver_error_wrapped_by_the_asyncpg_adapter_is_found_through_its_cause() -> None:
    adapted = RuntimeError("adapter error")
    adapted.__cause__ = asyncpg.exceptions.AdminShutdownError("terminating connection")
    assert isinstance(store_failure(_wrapped(adapted)), StoreUnavailable)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("a bug"),
        KeyError("a bug"),
        asyncpg.exceptions.UniqueViolationError("duplicate key"),
        asyncpg.exceptions.UndefinedColumnError("column does not exist"),
        sqlite3.OperationalError('near "SELEC": syntax error'),
        sqlite3.IntegrityError("UNIQUE constraint failed"),
        IdentifierTaken("mobile"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_bugs_and_the_use_cases_own_errors_are_not_store_failures(error: Exception) -> None:
    assert store_failure(error) is None
    with pytest.raises(type(error)):
        raise_store_failure(error, before_commit=True)


def test_the_failure_says_whether_it_came_before_commit() -> None:
    with pytest.raises(StoreUnavailable) as raised:
        raise_store_failure(sqlite3.OperationalError("disk I/O error"), before_commit=True)
    assert raised.value.before_commit
    with pytest.raises(StoreUnavailable) as raised:
        raise_store_failure(ConnectionResetError(), before_commit=False)
    assert not raised.value.before_commit
