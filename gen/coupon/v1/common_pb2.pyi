import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CouponState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COUPON_STATE_UNSPECIFIED: _ClassVar[CouponState]
    COUPON_STATE_ISSUED: _ClassVar[CouponState]
    COUPON_STATE_REDEEMED: _ClassVar[CouponState]
    COUPON_STATE_REVOKED: _ClassVar[CouponState]
    COUPON_STATE_EXPIRED: _ClassVar[CouponState]
COUPON_STATE_UNSPECIFIED: CouponState
COUPON_STATE_ISSUED: CouponState
COUPON_STATE_REDEEMED: CouponState
COUPON_STATE_REVOKED: CouponState
COUPON_STATE_EXPIRED: CouponState

class CustomerRef(_message.Message):
    __slots__ = ("id", "mobile", "email", "externalId")
    ID_FIELD_NUMBER: _ClassVar[int]
    MOBILE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    EXTERNALID_FIELD_NUMBER: _ClassVar[int]
    id: int
    mobile: str
    email: str
    externalId: str
    def __init__(self, id: _Optional[int] = ..., mobile: _Optional[str] = ..., email: _Optional[str] = ..., externalId: _Optional[str] = ...) -> None: ...

class IssuanceMetadata(_message.Message):
    __slots__ = ("sourceType", "sourceId", "sourceActivity", "notes", "reason")
    SOURCETYPE_FIELD_NUMBER: _ClassVar[int]
    SOURCEID_FIELD_NUMBER: _ClassVar[int]
    SOURCEACTIVITY_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    sourceType: str
    sourceId: str
    sourceActivity: str
    notes: str
    reason: str
    def __init__(self, sourceType: _Optional[str] = ..., sourceId: _Optional[str] = ..., sourceActivity: _Optional[str] = ..., notes: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class IssueError(_message.Message):
    __slots__ = ("status", "code", "message", "seriesId")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SERIESID_FIELD_NUMBER: _ClassVar[int]
    status: bool
    code: int
    message: str
    seriesId: int
    def __init__(self, status: _Optional[bool] = ..., code: _Optional[int] = ..., message: _Optional[str] = ..., seriesId: _Optional[int] = ...) -> None: ...

class IssueWarning(_message.Message):
    __slots__ = ("code", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class Redemption(_message.Message):
    __slots__ = ("id", "coupon_id", "code", "series_id", "customer_id", "redeemed_at", "bill_number", "bill_amount", "reversed_at", "request_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    COUPON_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    SERIES_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    REDEEMED_AT_FIELD_NUMBER: _ClassVar[int]
    BILL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    BILL_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REVERSED_AT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    coupon_id: int
    code: str
    series_id: int
    customer_id: int
    redeemed_at: _timestamp_pb2.Timestamp
    bill_number: str
    bill_amount: int
    reversed_at: _timestamp_pb2.Timestamp
    request_id: str
    def __init__(self, id: _Optional[int] = ..., coupon_id: _Optional[int] = ..., code: _Optional[str] = ..., series_id: _Optional[int] = ..., customer_id: _Optional[int] = ..., redeemed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., bill_number: _Optional[str] = ..., bill_amount: _Optional[int] = ..., reversed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...
