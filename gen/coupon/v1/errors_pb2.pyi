from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ErrorCode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERROR_CODE_UNSPECIFIED: _ClassVar[ErrorCode]
    ERROR_CODE_MAX_COUPONS_PER_CUSTOMER_REACHED: _ClassVar[ErrorCode]
    ERROR_CODE_SERIES_LIMIT_REACHED: _ClassVar[ErrorCode]
    ERROR_CODE_INVALID_INPUT: _ClassVar[ErrorCode]
    ERROR_CODE_INVALID_COUNT: _ClassVar[ErrorCode]
    ERROR_CODE_ISSUE_FAILED: _ClassVar[ErrorCode]
    ERROR_CODE_ONLY_ONE_PER_CUSTOMER: _ClassVar[ErrorCode]
    ERROR_CODE_CUSTOMER_NOT_FOUND: _ClassVar[ErrorCode]
    ERROR_CODE_SERIES_EXHAUSTED: _ClassVar[ErrorCode]
    ERROR_CODE_SERIES_INVALID: _ClassVar[ErrorCode]
    ERROR_CODE_ALREADY_HAS_COUPON: _ClassVar[ErrorCode]
    ERROR_CODE_EXPIRED: _ClassVar[ErrorCode]
    ERROR_CODE_MANDATORY_FIELD: _ClassVar[ErrorCode]
    ERROR_CODE_PARTIAL_SERIES_LIMIT_REACHED: _ClassVar[ErrorCode]
    ERROR_CODE_PARTIAL_MAX_COUPONS_PER_CUSTOMER_REACHED: _ClassVar[ErrorCode]
    ERROR_CODE_PARTIAL_ONLY_ONE_PER_CUSTOMER: _ClassVar[ErrorCode]
    ERROR_CODE_PARTIAL_SERIES_EXHAUSTED: _ClassVar[ErrorCode]
    ERROR_CODE_PARTIAL_ISSUE_FAILED: _ClassVar[ErrorCode]
    ERROR_CODE_COUPON_NOT_FOUND: _ClassVar[ErrorCode]
    ERROR_CODE_COUPON_WRONG_CUSTOMER: _ClassVar[ErrorCode]
    ERROR_CODE_COUPON_NOT_YET_VALID: _ClassVar[ErrorCode]
    ERROR_CODE_COUPON_EXPIRED: _ClassVar[ErrorCode]
    ERROR_CODE_COUPON_REVOKED: _ClassVar[ErrorCode]
    ERROR_CODE_COUPON_USED_UP: _ClassVar[ErrorCode]
    ERROR_CODE_CUSTOMER_REDEMPTION_LIMIT_REACHED: _ClassVar[ErrorCode]
    ERROR_CODE_SERIES_REDEMPTION_LIMIT_REACHED: _ClassVar[ErrorCode]
    ERROR_CODE_REDEMPTION_NOT_FOUND: _ClassVar[ErrorCode]
    ERROR_CODE_EVENT_CURSOR_EXPIRED: _ClassVar[ErrorCode]
    ERROR_CODE_EVENT_CURSOR_INVALID: _ClassVar[ErrorCode]
ERROR_CODE_UNSPECIFIED: ErrorCode
ERROR_CODE_MAX_COUPONS_PER_CUSTOMER_REACHED: ErrorCode
ERROR_CODE_SERIES_LIMIT_REACHED: ErrorCode
ERROR_CODE_INVALID_INPUT: ErrorCode
ERROR_CODE_INVALID_COUNT: ErrorCode
ERROR_CODE_ISSUE_FAILED: ErrorCode
ERROR_CODE_ONLY_ONE_PER_CUSTOMER: ErrorCode
ERROR_CODE_CUSTOMER_NOT_FOUND: ErrorCode
ERROR_CODE_SERIES_EXHAUSTED: ErrorCode
ERROR_CODE_SERIES_INVALID: ErrorCode
ERROR_CODE_ALREADY_HAS_COUPON: ErrorCode
ERROR_CODE_EXPIRED: ErrorCode
ERROR_CODE_MANDATORY_FIELD: ErrorCode
ERROR_CODE_PARTIAL_SERIES_LIMIT_REACHED: ErrorCode
ERROR_CODE_PARTIAL_MAX_COUPONS_PER_CUSTOMER_REACHED: ErrorCode
ERROR_CODE_PARTIAL_ONLY_ONE_PER_CUSTOMER: ErrorCode
ERROR_CODE_PARTIAL_SERIES_EXHAUSTED: ErrorCode
ERROR_CODE_PARTIAL_ISSUE_FAILED: ErrorCode
ERROR_CODE_COUPON_NOT_FOUND: ErrorCode
ERROR_CODE_COUPON_WRONG_CUSTOMER: ErrorCode
ERROR_CODE_COUPON_NOT_YET_VALID: ErrorCode
ERROR_CODE_COUPON_EXPIRED: ErrorCode
ERROR_CODE_COUPON_REVOKED: ErrorCode
ERROR_CODE_COUPON_USED_UP: ErrorCode
ERROR_CODE_CUSTOMER_REDEMPTION_LIMIT_REACHED: ErrorCode
ERROR_CODE_SERIES_REDEMPTION_LIMIT_REACHED: ErrorCode
ERROR_CODE_REDEMPTION_NOT_FOUND: ErrorCode
ERROR_CODE_EVENT_CURSOR_EXPIRED: ErrorCode
ERROR_CODE_EVENT_CURSOR_INVALID: ErrorCode

class CouponErrorDetail(_message.Message):
    __slots__ = ("code", "message", "error_code", "status")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    error_code: ErrorCode
    status: bool
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ..., error_code: _Optional[_Union[ErrorCode, str]] = ..., status: _Optional[bool] = ...) -> None: ...
