"""Log configuration: JSON and console lines, levels, extras as keys, exceptions, and masking."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime

import pytest

from coupon_service.logs import configure_logging, make_formatter, mask_text, parse_level


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """What configure_logging writes to; the root logger is put back as it was afterwards."""
    root = logging.getLogger()
    access = logging.getLogger("uvicorn.access")
    saved = (root.handlers[:], root.level, access.handlers[:], access.propagate)
    yield io.StringIO()
    root.handlers[:], access.handlers[:] = saved[0], saved[2]
    root.setLevel(saved[1])
    access.propagate = saved[3]


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_time_level_logger_message_and_every_extra(stream: io.StringIO) -> None:
    configure_logging("info", "json", stream)
    extra = {"org": "demo", "code": 5004, "duration_ms": 1.5, "batch_size": 3, "request_id": "r-1"}
    logging.getLogger("coupon_service.access").info("IssueMultiple %s", "ok", extra=extra)
    [line] = lines(stream)
    assert list(line)[:4] == ["timestamp", "level", "logger", "message"]
    assert line["level"] == "info"
    assert line["logger"] == "coupon_service.access"
    assert line["message"] == "IssueMultiple ok"
    assert {key: line[key] for key in extra} == extra
    timestamp = str(line["timestamp"])
    assert timestamp.endswith("Z")
    assert datetime.fromisoformat(timestamp).utcoffset() is not None


def test_an_exception_is_one_string_field_masked_like_the_rest(stream: io.StringIO) -> None:
    configure_logging("INFO", "json", stream)
    try:
        raise LookupError("no customer with mobile 919812345678 or email ada@example.com")
    except LookupError:
        logging.getLogger("coupon_service").exception("lookup failed")
    [line] = lines(stream)
    exception = str(line["exception"])
    assert exception.startswith("Traceback (most recent call last):")
    assert "LookupError: no customer with mobile ********5678 or email a***@example.com" in (
        exception
    )


def test_console_lines_are_readable_and_plain_off_a_terminal(stream: io.StringIO) -> None:
    configure_logging("info", "console", stream)
    logging.getLogger("coupon_service").warning(
        "customer %s refused", "919812345678", extra={"org": "demo"}
    )
    output = stream.getvalue()
    assert output.count("\n") == 1
    assert "warning" in output and "customer ********5678 refused" in output
    assert "[coupon_service]" in output and "org=demo" in output
    assert "\x1b[" not in output


def test_auto_is_json_for_a_pipe_and_console_for_a_terminal(stream: io.StringIO) -> None:
    configure_logging("info", "auto", stream)
    logging.getLogger("coupon_service").info("to a pipe")
    assert lines(stream)[0]["message"] == "to a pipe"

    terminal = Terminal()
    configure_logging("info", "auto", terminal)
    logging.getLogger("coupon_service").info("to a terminal")
    assert "to a terminal" in terminal.getvalue()
    assert not terminal.getvalue().startswith("{")


@pytest.mark.parametrize(
    ("name", "level"),
    [("debug", logging.DEBUG), ("Info", logging.INFO), (" WARNING ", logging.WARNING)],
)
def test_level_names_in_any_case(name: str, level: int) -> None:
    assert parse_level(name) == level


@pytest.mark.parametrize("name", ["verbose", "", "WARN", "10"])
def test_an_unknown_level_names_the_allowed_ones(name: str) -> None:
    with pytest.raises(ValueError, match="DEBUG, INFO, WARNING, ERROR"):
        parse_level(name)


def test_an_unknown_format_names_the_allowed_ones(stream: io.StringIO) -> None:
    with pytest.raises(ValueError, match="json, console, auto"):
        configure_logging("info", "xml", stream)


def test_the_level_drops_what_is_below_it(stream: io.StringIO) -> None:
    configure_logging("warning", "json", stream)
    logger = logging.getLogger("coupon_service")
    logger.info("dropped")
    logger.warning("kept")
    assert [line["message"] for line in lines(stream)] == ["kept"]


def test_configuring_twice_replaces_the_handler(stream: io.StringIO) -> None:
    configure_logging("info", "console", io.StringIO())
    configure_logging("info", "json", stream)
    logging.getLogger("coupon_service").info("once")
    assert [line["message"] for line in lines(stream)] == ["once"]


def test_every_library_goes_through_the_pipeline_but_uvicorn_access(stream: io.StringIO) -> None:
    configure_logging("info", "json", stream)
    for name in ("uvicorn.error", "alembic.runtime.migration", "grpc._cython.cygrpc", "asyncio"):
        logging.getLogger(name).warning("from %s to 919812345678", name)
    logging.getLogger("uvicorn.access").info('127.0.0.1 - "POST /v2/coupon/issue/multiple" 200')
    assert [(line["logger"], line["message"]) for line in lines(stream)] == [
        (name, f"from {name} to ********5678")
        for name in ("uvicorn.error", "alembic.runtime.migration", "grpc._cython.cygrpc", "asyncio")
    ]


def test_fields_are_masked_by_their_name_and_their_shape(stream: io.StringIO) -> None:
    class Customer:
        def __repr__(self) -> str:
            return "Customer(mobile='919812345678')"

    configure_logging("info", "json", stream)
    logging.getLogger("coupon_service").info(
        "call",
        extra={
            "mobile": "1",
            "customer_mobile": 919812345678,
            "email": "ada@example.com",
            "password": "hunter2",
            "jwt_hs256_secret": "s3cret",
            "auth_token": None,
            "authorization": "Basic ZGVtbzpkZW1vLXNlY3JldA==",
            "customer": {"mobile": "919812345678", "ids": [700001, "9007199254740991"]},
            "peer": "ipv4:127.0.0.1:50051",
            "found": Customer(),
            "series_id": 9007199254740991,
        },
    )
    [line] = lines(stream)
    assert line["mobile"] == "*"
    assert line["customer_mobile"] == "********5678"
    assert line["email"] == "a***@example.com"
    assert line["password"] == line["jwt_hs256_secret"] == line["authorization"] == "***"
    assert line["auth_token"] is None
    assert line["customer"] == {"mobile": "********5678", "ids": [700001, "9007199254740991"]}
    assert line["peer"] == "ipv4:127.0.0.1:50051"
    assert line["found"] == "Customer(mobile='********5678')"
    assert line["series_id"] == 9007199254740991


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # Mobiles: a leading + and 7 digits or more, or 10 to 15 digits, separators allowed.
        ("mobile 11223569865", "mobile *******9865"),
        ("to +919876543210.", "to +********3210."),
        ("+44 7700 900123 called", "+********0123 called"),
        ("(+1) 415-555-0100", "(+1) ******0100"),
        ("+4930123", "+*****23"),
        ('{"mobile": "919900000001"}', '{"mobile": "********0001"}'),
        ("a 123456789012345 b", "a ***********2345 b"),
        # Emails keep their first character and the domain.
        ("mail ada.lovelace@example.com, or", "mail a***@example.com, or"),
        ("<x7f@org-b.example>", "<x***@org-b.example>"),
        # Credentials.
        ("authorization: Basic ZGVtbzpkZW1vLXNlY3JldA==", "authorization: Basic ***"),
        ("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "Bearer ***"),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2l-_n", "token ***"),
        ("{'authorization': 'sk_live_42'}", "{'authorization': '***'}"),
    ],
)
def test_mask_text(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        # Ids are not mobiles: short, or 16 digits and more without a + (ids reach 2**63-1).
        "series 700001 coupon 101 customer 555567088",
        "id 9007199254740991",
        "id 9223372036854775807",
        "+91",
        "at 2026-11-23T08:21:27.123Z",
        "127.0.0.1:50051",
        "uuid 123e4567-e89b-12d3-a456-426614174000",
        "took 12.3456789012 s",
        "order-1234567890",
        "postgresql://postgres@127.0.0.1:5432/coupons",
        # Prose about credentials stays readable.
        "the bearer token has expired",
        "the authorization scheme must be Basic or Bearer",
        'Basic realm="coupon-service"',
    ],
)
def test_mask_text_leaves_what_is_no_personal_data(text: str) -> None:
    assert mask_text(text) == text


def test_the_formatter_leaves_the_record_to_other_handlers_as_it_was() -> None:
    record = logging.LogRecord(
        "coupon_service", logging.INFO, __file__, 1, "customer %s", ("919812345678",), None
    )
    formatted = make_formatter("json").format(record)
    assert "********5678" in formatted
    assert record.getMessage() == "customer 919812345678"
