"""Log configuration: every stdlib record through one structlog pipeline that masks personal data.

Masking applies to the message, to every field (a record's `extra`) and to the rendered
exception, before anything is written:

- mobiles keep their last digits: a run of digits (spaces or dashes inside allowed) with a
  leading `+` and 7 or more digits, or without one and 10 or more digits; a run of 16 or more
  digits with no `+` and no separator is left alone. Ids in this service go up to 2**63-1
  (19 digits), chosen ones to 2**53-1 (16 digits); E.164 numbers have at most 15, so only
  an id of 10 to 15 digits inside a message is masked too, a cosmetic loss, never a leak;
- emails keep their first character and the domain: `j***@example.com`;
- `Basic …` and `Bearer …` credentials, `authorization` values and JWT-shaped tokens become
  `***`;
- fields named like secret, password, token, authorization or cookie become `***`, and fields
  named like mobile, phone or email are masked whatever their shape.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
FORMATS = ("json", "console", "auto")
MASK = "***"

_AUTH_SCHEME = re.compile(r"\b(basic|bearer)(\s+)([A-Za-z0-9._~+/-]+=*)", re.IGNORECASE)
# Prose such as "Basic credentials" or 'Basic realm="…"': a credential is never a lowercase word.
_PROSE_WORD = re.compile(r"[a-z]+=?")
_AUTHORIZATION_VALUE = re.compile(
    r"""(\bauthorization\b['"]?\s*[:=]\s*['"]?)(?!(?:basic|bearer)\s)([^\s'",;}]+)""",
    re.IGNORECASE,
)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*)?")
_EMAIL = re.compile(
    r"(?<![\w.%+-])([\w%+-])[\w.%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})\b"
)
# Not inside a word, a decimal or a dashed identifier (a uuid's last group is 12 digits).
_PHONE = re.compile(r"(?<![\w.+-])(\+?)(\d(?:[ -]?\d)*)(?!\w|\.\d)")
# Matches wherever one of the patterns above could: most text needs this one search only.
_MAYBE_SENSITIVE = re.compile(r"(?i:basic|bearer|authori)|eyJ|@|\d(?:[ -]?\d){6}")
_SECRET_FIELD = re.compile(r"secret|passw|token|authori[sz]ation|cookie", re.IGNORECASE)
_MOBILE_FIELD = re.compile(r"mobile|phone", re.IGNORECASE)
_EMAIL_FIELD = re.compile(r"e-?mail", re.IGNORECASE)

# What every LogRecord has, and what formatters add to it: anything else came as `extra`.
_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "_logger",
    "_name",
}
_FIRST_KEYS = ("timestamp", "level", "logger", "message")
# ProcessorFormatter's own keys, and the ones `_from_record` writes from the record itself.
_UNMASKED_KEYS = frozenset({"_record", "_from_structlog", "timestamp", "level", "logger"})


def _hide_digits(text: str) -> str:
    """Stars for all but the last 4 digits (of 10 or more) or 2 (of 6 to 9); all of fewer."""
    digits = [c for c in text if c.isdigit()]
    kept = 4 if len(digits) >= 10 else 2 if len(digits) >= 6 else 0
    sign = "+" if text.lstrip().startswith("+") else ""
    return sign + "*" * (len(digits) - kept) + "".join(digits[len(digits) - kept :])


def _phone(match: re.Match[str]) -> str:
    plus, number = match.group(1), match.group(2)
    digits = sum(c.isdigit() for c in number)
    separated = len(number) != digits
    if (plus and digits >= 7) or (digits >= 10 and (separated or digits <= 15)):
        return _hide_digits(match.group(0))
    return match.group(0)


def _auth_scheme(match: re.Match[str]) -> str:
    scheme, space, credential = match.groups()
    if _PROSE_WORD.fullmatch(credential):
        return match.group(0)
    return f"{scheme}{space}{MASK}"


def mask_text(text: str) -> str:
    """`text` with its mobiles, emails and credentials masked."""
    if not _MAYBE_SENSITIVE.search(text):
        return text
    text = _AUTH_SCHEME.sub(_auth_scheme, text)
    text = _AUTHORIZATION_VALUE.sub(lambda m: m.group(1) + MASK, text)
    if "eyJ" in text:
        text = _JWT.sub(MASK, text)
    if "@" in text:
        text = _EMAIL.sub(r"\1***@\2", text)
    return _PHONE.sub(_phone, text)


def _mask_email(value: str) -> str:
    local, at, domain = value.strip().rpartition("@")
    return f"{local[:1]}***@{domain}" if at and local else MASK


@functools.lru_cache(maxsize=256)
def _field_kind(key: str) -> str:
    """What a field's name says it holds: "secret", "mobile", "email" or "" (anything)."""
    for kind, pattern in (("secret", _SECRET_FIELD), ("mobile", _MOBILE_FIELD)):
        if pattern.search(key):
            return kind
    return "email" if _EMAIL_FIELD.search(key) else ""


def _mask_field(key: str, value: Any) -> Any:
    kind = _field_kind(key)
    if not kind or value is None or value == "":
        return _mask_value(value)
    if kind == "secret":
        return MASK
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return _mask_value(value)
    if kind == "mobile":
        return _hide_digits(str(value)) or MASK
    return _mask_email(str(value))


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _mask_field(str(k), v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_mask_value(item) for item in value]
    # Masked as the text it would be rendered as: a repr could carry a mobile past the mask.
    return mask_text(str(value))


def mask_event(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """The structlog processor: masks every value of the event in place."""
    for key, value in event.items():
        if key not in _UNMASKED_KEYS:
            event[key] = _mask_field(key, value)
    return event


def _from_record(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """Time, level, logger and `extra` fields from the LogRecord, and `message` for `event`."""
    record: logging.LogRecord = event["_record"]
    event["message"] = event.pop("event", "")
    for key, value in record.__dict__.items():
        if key not in _RECORD_ATTRIBUTES and key not in event:
            event[key] = value
    event["timestamp"] = (
        datetime.fromtimestamp(record.created, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )
    event["level"] = record.levelname.lower()
    event["logger"] = record.name
    return event


def _first_keys_first(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    ordered = {key: event[key] for key in _FIRST_KEYS if key in event}
    ordered.update(event)
    return ordered


def parse_level(level: str) -> int:
    """The logging level named by `level`, in any case; ValueError naming the allowed values."""
    name = level.strip().upper()
    if name not in LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LEVELS)} (any case), not {level!r}")
    return logging.getLevelNamesMapping()[name]


def _resolve_format(log_format: str, stream: TextIO) -> str:
    name = log_format.strip().lower()
    if name not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {log_format!r}")
    if name == "auto":
        isatty: Callable[[], bool] | None = getattr(stream, "isatty", None)
        return "console" if isatty is not None and isatty() else "json"
    return name


def make_formatter(log_format: str, stream: TextIO | None = None) -> logging.Formatter:
    """The pipeline as a logging.Formatter: JSON lines, or readable lines for a terminal."""
    stream = sys.stderr if stream is None else stream
    renderer: Processor
    if _resolve_format(log_format, stream) == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        colors = bool(getattr(stream, "isatty", lambda: False)())
        renderer = structlog.dev.ConsoleRenderer(colors=colors, event_key="message")
    return structlog.stdlib.ProcessorFormatter(
        processors=[
            _from_record,
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # Rendered to text here, so the mask sees the exception's message too.
            structlog.processors.format_exc_info,
            mask_event,
            _first_keys_first,
            renderer,
        ],
    )


class _PipelineHandler(logging.StreamHandler[TextIO]):
    """The one handler configure_logging installs, told apart from anyone else's."""


def configure_logging(level: str, log_format: str, stream: TextIO | None = None) -> None:
    """Sends every log record (the service's, uvicorn's, alembic's, grpc's, asyncio's) through
    the masking pipeline to `stream` (stderr by default) at `level`.

    `log_format` is "json", "console" or "auto" (JSON unless the stream is a terminal). Raises
    ValueError naming the allowed values for an unknown level or format. Calling it again
    replaces the handler it installed before.
    """
    numeric_level = parse_level(level)
    handler = _PipelineHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(make_formatter(log_format, handler.stream))
    root = logging.getLogger()
    for installed in [h for h in root.handlers if isinstance(h, _PipelineHandler)]:
        root.removeHandler(installed)
    root.addHandler(handler)
    root.setLevel(numeric_level)
    # The service writes its own access lines (coupon_service.access); uvicorn's would repeat
    # them with less in them.
    access = logging.getLogger("uvicorn.access")
    access.handlers = [logging.NullHandler()]
    access.propagate = False


__all__ = [
    "FORMATS",
    "LEVELS",
    "MASK",
    "configure_logging",
    "make_formatter",
    "mask_event",
    "mask_text",
    "parse_level",
]
