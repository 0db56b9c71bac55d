import datetime

from coupon.v1 import common_pb2 as _common_pb2
from coupon.v1 import customer_service_pb2 as _customer_service_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DiscountType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DISCOUNT_TYPE_UNSPECIFIED: _ClassVar[DiscountType]
    DISCOUNT_TYPE_ABS: _ClassVar[DiscountType]
    DISCOUNT_TYPE_PERC: _ClassVar[DiscountType]

class CodeSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CODE_SOURCE_UNSPECIFIED: _ClassVar[CodeSource]
    CODE_SOURCE_GENERATED: _ClassVar[CodeSource]
    CODE_SOURCE_UPLOADED: _ClassVar[CodeSource]
    CODE_SOURCE_GENERIC: _ClassVar[CodeSource]

class CouponValidity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COUPON_VALIDITY_UNSPECIFIED: _ClassVar[CouponValidity]
    COUPON_VALIDITY_SERIES_EXPIRY: _ClassVar[CouponValidity]
    COUPON_VALIDITY_FIXED_DATE: _ClassVar[CouponValidity]
    COUPON_VALIDITY_DAYS_AFTER_ISSUE: _ClassVar[CouponValidity]
DISCOUNT_TYPE_UNSPECIFIED: DiscountType
DISCOUNT_TYPE_ABS: DiscountType
DISCOUNT_TYPE_PERC: DiscountType
CODE_SOURCE_UNSPECIFIED: CodeSource
CODE_SOURCE_GENERATED: CodeSource
CODE_SOURCE_UPLOADED: CodeSource
CODE_SOURCE_GENERIC: CodeSource
COUPON_VALIDITY_UNSPECIFIED: CouponValidity
COUPON_VALIDITY_SERIES_EXPIRY: CouponValidity
COUPON_VALIDITY_FIXED_DATE: CouponValidity
COUPON_VALIDITY_DAYS_AFTER_ISSUE: CouponValidity

class Series(_message.Message):
    __slots__ = ("id", "description", "discount_code", "info", "discount_type", "discount_value", "discount_upto", "discount_on", "code_source", "random_code_length", "alpha_numeric", "code_prefix", "code_suffix", "generic_code", "valid_till", "coupon_validity", "fixed_expiry_date", "valid_days_after_issue", "max_create", "is_multiple_vouchers_per_user_allowed", "max_vouchers_per_user", "do_not_resend_existing_voucher", "externally_managed", "redemption_valid_after_days", "custom_property_map", "num_issued", "num_uploaded_total", "num_uploaded_non_issued", "latest_issual_time", "create_time", "max_redemptions_per_coupon", "max_redemptions_per_customer", "max_redemptions", "num_redeemed")
    class CustomPropertyMapEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_CODE_FIELD_NUMBER: _ClassVar[int]
    INFO_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_TYPE_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_VALUE_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_UPTO_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_ON_FIELD_NUMBER: _ClassVar[int]
    CODE_SOURCE_FIELD_NUMBER: _ClassVar[int]
    RANDOM_CODE_LENGTH_FIELD_NUMBER: _ClassVar[int]
    ALPHA_NUMERIC_FIELD_NUMBER: _ClassVar[int]
    CODE_PREFIX_FIELD_NUMBER: _ClassVar[int]
    CODE_SUFFIX_FIELD_NUMBER: _ClassVar[int]
    GENERIC_CODE_FIELD_NUMBER: _ClassVar[int]
    VALID_TILL_FIELD_NUMBER: _ClassVar[int]
    COUPON_VALIDITY_FIELD_NUMBER: _ClassVar[int]
    FIXED_EXPIRY_DATE_FIELD_NUMBER: _ClassVar[int]
    VALID_DAYS_AFTER_ISSUE_FIELD_NUMBER: _ClassVar[int]
    MAX_CREATE_FIELD_NUMBER: _ClassVar[int]
    IS_MULTIPLE_VOUCHERS_PER_USER_ALLOWED_FIELD_NUMBER: _ClassVar[int]
    MAX_VOUCHERS_PER_USER_FIELD_NUMBER: _ClassVar[int]
    DO_NOT_RESEND_EXISTING_VOUCHER_FIELD_NUMBER: _ClassVar[int]
    EXTERNALLY_MANAGED_FIELD_NUMBER: _ClassVar[int]
    REDEMPTION_VALID_AFTER_DAYS_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_PROPERTY_MAP_FIELD_NUMBER: _ClassVar[int]
    NUM_ISSUED_FIELD_NUMBER: _ClassVar[int]
    NUM_UPLOADED_TOTAL_FIELD_NUMBER: _ClassVar[int]
    NUM_UPLOADED_NON_ISSUED_FIELD_NUMBER: _ClassVar[int]
    LATEST_ISSUAL_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    MAX_REDEMPTIONS_PER_COUPON_FIELD_NUMBER: _ClassVar[int]
    MAX_REDEMPTIONS_PER_CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    MAX_REDEMPTIONS_FIELD_NUMBER: _ClassVar[int]
    NUM_REDEEMED_FIELD_NUMBER: _ClassVar[int]
    id: int
    description: str
    discount_code: str
    info: str
    discount_type: DiscountType
    discount_value: int
    discount_upto: int
    discount_on: str
    code_source: CodeSource
    random_code_length: int
    alpha_numeric: bool
    code_prefix: str
    code_suffix: str
    generic_code: str
    valid_till: _timestamp_pb2.Timestamp
    coupon_validity: CouponValidity
    fixed_expiry_date: _timestamp_pb2.Timestamp
    valid_days_after_issue: int
    max_create: int
    is_multiple_vouchers_per_user_allowed: bool
    max_vouchers_per_user: int
    do_not_resend_existing_voucher: bool
    externally_managed: bool
    redemption_valid_after_days: int
    custom_property_map: _containers.ScalarMap[str, str]
    num_issued: int
    num_uploaded_total: int
    num_uploaded_non_issued: int
    latest_issual_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    max_redemptions_per_coupon: int
    max_redemptions_per_customer: int
    max_redemptions: int
    num_redeemed: int
    def __init__(self, id: _Optional[int] = ..., description: _Optional[str] = ..., discount_code: _Optional[str] = ..., info: _Optional[str] = ..., discount_type: _Optional[_Union[DiscountType, str]] = ..., discount_value: _Optional[int] = ..., discount_upto: _Optional[int] = ..., discount_on: _Optional[str] = ..., code_source: _Optional[_Union[CodeSource, str]] = ..., random_code_length: _Optional[int] = ..., alpha_numeric: _Optional[bool] = ..., code_prefix: _Optional[str] = ..., code_suffix: _Optional[str] = ..., generic_code: _Optional[str] = ..., valid_till: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., coupon_validity: _Optional[_Union[CouponValidity, str]] = ..., fixed_expiry_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., valid_days_after_issue: _Optional[int] = ..., max_create: _Optional[int] = ..., is_multiple_vouchers_per_user_allowed: _Optional[bool] = ..., max_vouchers_per_user: _Optional[int] = ..., do_not_resend_existing_voucher: _Optional[bool] = ..., externally_managed: _Optional[bool] = ..., redemption_valid_after_days: _Optional[int] = ..., custom_property_map: _Optional[_Mapping[str, str]] = ..., num_issued: _Optional[int] = ..., num_uploaded_total: _Optional[int] = ..., num_uploaded_non_issued: _Optional[int] = ..., latest_issual_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., max_redemptions_per_coupon: _Optional[int] = ..., max_redemptions_per_customer: _Optional[int] = ..., max_redemptions: _Optional[int] = ..., num_redeemed: _Optional[int] = ...) -> None: ...

class CreateSeriesRequest(_message.Message):
    __slots__ = ("series",)
    SERIES_FIELD_NUMBER: _ClassVar[int]
    series: Series
    def __init__(self, series: _Optional[_Union[Series, _Mapping]] = ...) -> None: ...

class GetSeriesRequest(_message.Message):
    __slots__ = ("series_id",)
    SERIES_ID_FIELD_NUMBER: _ClassVar[int]
    series_id: int
    def __init__(self, series_id: _Optional[int] = ...) -> None: ...

class ListSeriesRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSeriesResponse(_message.Message):
    __slots__ = ("series", "next_page_token")
    SERIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    series: _containers.RepeatedCompositeFieldContainer[Series]
    next_page_token: str
    def __init__(self, series: _Optional[_Iterable[_Union[Series, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UploadCodesRequest(_message.Message):
    __slots__ = ("series_id", "codes")
    SERIES_ID_FIELD_NUMBER: _ClassVar[int]
    CODES_FIELD_NUMBER: _ClassVar[int]
    series_id: int
    codes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, series_id: _Optional[int] = ..., codes: _Optional[_Iterable[str]] = ...) -> None: ...

class UploadCodesResponse(_message.Message):
    __slots__ = ("uploaded_count", "duplicate_codes", "num_uploaded_total", "num_uploaded_non_issued")
    UPLOADED_COUNT_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_CODES_FIELD_NUMBER: _ClassVar[int]
    NUM_UPLOADED_TOTAL_FIELD_NUMBER: _ClassVar[int]
    NUM_UPLOADED_NON_ISSUED_FIELD_NUMBER: _ClassVar[int]
    uploaded_count: int
    duplicate_codes: _containers.RepeatedScalarFieldContainer[str]
    num_uploaded_total: int
    num_uploaded_non_issued: int
    def __init__(self, uploaded_count: _Optional[int] = ..., duplicate_codes: _Optional[_Iterable[str]] = ..., num_uploaded_total: _Optional[int] = ..., num_uploaded_non_issued: _Optional[int] = ...) -> None: ...

class ListSeriesCouponsRequest(_message.Message):
    __slots__ = ("series_id", "state", "source_type", "source_id", "source_activity", "issued_after", "issued_before", "page_size", "page_token")
    SERIES_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AFTER_FIELD_NUMBER: _ClassVar[int]
    ISSUED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    series_id: int
    state: _common_pb2.CouponState
    source_type: str
    source_id: str
    source_activity: str
    issued_after: _timestamp_pb2.Timestamp
    issued_before: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, series_id: _Optional[int] = ..., state: _Optional[_Union[_common_pb2.CouponState, str]] = ..., source_type: _Optional[str] = ..., source_id: _Optional[str] = ..., source_activity: _Optional[str] = ..., issued_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., issued_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSeriesCouponsResponse(_message.Message):
    __slots__ = ("coupons", "next_page_token")
    COUPONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    coupons: _containers.RepeatedCompositeFieldContainer[_customer_service_pb2.Coupon]
    next_page_token: str
    def __init__(self, coupons: _Optional[_Iterable[_Union[_customer_service_pb2.Coupon, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
