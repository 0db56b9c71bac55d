"""The settings: one module validates them all, and the README lists every one of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from coupon_service.config import BadSetting, LogLevel, Settings, load
from scripts.settings_table import settings_table

README = Path(__file__).parents[2] / "README.md"


def test_the_readme_lists_every_setting_with_its_default() -> None:
    assert settings_table() in README.read_text()


def test_flags_override_variables_which_override_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COUPON_GRPC_PORT", "6000")
    monkeypatch.setenv("COUPON_HTTP_PORT", "6001")
    monkeypatch.setenv("COUPON_LOG_LEVEL", "debug")
    settings = load({"grpc_port": "7000"})
    assert (settings.grpc_port, settings.http_port, settings.metrics_port) == (7000, 6001, 9464)
    assert settings.log_level is LogLevel.DEBUG


def test_an_empty_variable_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COUPON_GRPC_PORT", "")
    assert load({}).grpc_port == 50051


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("COUPON_GRPC_PORT", "-1", "COUPON_GRPC_PORT: Input should be greater than or equal to 0"),
        (
            "COUPON_HEALTH_CHECK_SECONDS",
            "0",
            "COUPON_HEALTH_CHECK_SECONDS: Input should be greater",
        ),
        ("COUPON_DB_URL", "sqlite+pysqlite:///x.db", "driver 'sqlite+pysqlite' is not supported"),
        ("COUPON_TLS_CLIENT_CA", "/etc/hostname", "COUPON_TLS_CLIENT_CA needs COUPON_TLS_CERT"),
        ("COUPON_HOST", " ", ""),
    ],
)
def test_a_bad_variable_raises_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, says: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(BadSetting) as raised:
        load({})
    assert says in str(raised.value) and "\n" not in str(raised.value)


def test_plain_urls_and_both_databases_are_accepted() -> None:
    for url in ("sqlite:///x.db", "postgresql://u@h/d", "postgres://u@h/d", "sqlite+aiosqlite://"):
        assert Settings(db_url=url).db_url == url


def test_secrets_stay_out_of_the_settings_repr() -> None:
    shown = repr(Settings(jwt_hs256_secret="s" * 40))
    assert "s" * 40 not in shown


def test_the_database_adapter_gets_the_sqlite_busy_timeout_as_milliseconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COUPON_SQLITE_BUSY_TIMEOUT_SECONDS", "2.5")

    assert load({}).engine_options() == {"sqlite_busy_timeout_ms": 2500}
