import datetime

from coupon.v1 import common_pb2 as _common_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class IssueMultipleRequest(_message.Message):
    __slots__ = ("series_id", "count", "customer", "metadata", "series_ids", "request_id")
    SERIES_ID_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    SERIES_IDS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    series_id: int
    count: int
    customer: _common_pb2.CustomerRef
    metadata: _common_pb2.IssuanceMetadata
    series_ids: _containers.RepeatedScalarFieldContainer[int]
    request_id: str
    def __init__(self, series_id: _Optional[int] = ..., count: _Optional[int] = ..., customer: _Optional[_Union[_common_pb2.CustomerRef, _Mapping]] = ..., metadata: _Optional[_Union[_common_pb2.IssuanceMetadata, _Mapping]] = ..., series_ids: _Optional[_Iterable[int]] = ..., request_id: _Optional[str] = ...) -> None: ...

class IssueMultipleResponse(_message.Message):
    __slots__ = ("coupons", "coupon_config", "total_count", "failure_count", "success_count", "customer", "errors", "warnings", "coupon_configs")
    COUPONS_FIELD_NUMBER: _ClassVar[int]
    COUPON_CONFIG_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_COUNT_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_COUNT_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    COUPON_CONFIGS_FIELD_NUMBER: _ClassVar[int]
    coupons: _containers.RepeatedCompositeFieldContainer[IssuedCoupon]
    coupon_config: CouponConfig
    total_count: int
    failure_count: int
    success_count: int
    customer: CustomerView
    errors: _containers.RepeatedCompositeFieldContainer[_common_pb2.IssueError]
    warnings: _containers.RepeatedCompositeFieldContainer[_common_pb2.IssueWarning]
    coupon_configs: _containers.RepeatedCompositeFieldContainer[CouponConfig]
    def __init__(self, coupons: _Optional[_Iterable[_Union[IssuedCoupon, _Mapping]]] = ..., coupon_config: _Optional[_Union[CouponConfig, _Mapping]] = ..., total_count: _Optional[int] = ..., failure_count: _Optional[int] = ..., success_count: _Optional[int] = ..., customer: _Optional[_Union[CustomerView, _Mapping]] = ..., errors: _Optional[_Iterable[_Union[_common_pb2.IssueError, _Mapping]]] = ..., warnings: _Optional[_Iterable[_Union[_common_pb2.IssueWarning, _Mapping]]] = ..., coupon_configs: _Optional[_Iterable[_Union[CouponConfig, _Mapping]]] = ...) -> None: ...

class IssuedCoupon(_message.Message):
    __slots__ = ("code", "coupon_id", "series_id", "valid_till", "issued_at")
    CODE_FIELD_NUMBER: _ClassVar[int]
    COUPON_ID_FIELD_NUMBER: _ClassVar[int]
    SERIES_ID_FIELD_NUMBER: _ClassVar[int]
    VALID_TILL_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    code: str
    coupon_id: int
    series_id: int
    valid_till: _timestamp_pb2.Timestamp
    issued_at: _timestamp_pb2.Timestamp
    def __init__(self, code: _Optional[str] = ..., coupon_id: _Optional[int] = ..., series_id: _Optional[int] = ..., valid_till: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., issued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CouponConfig(_message.Message):
    __slots__ = ("custom_property_map", "id", "description", "discount_code", "info", "discount_upto", "discount_value", "issue_to_loyalty", "num_uploaded_non_issued", "num_uploaded_total", "redemption_valid_after_days", "owner_id", "owner_validity", "alpha_numeric", "short_code_length", "random_code_length", "fixed_expiry_date", "num_total", "latest_issual_time", "latest_redemption_time", "discount_on", "discount_type", "external_issual", "update_product_data")
    class CustomPropertyMapEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CUSTOM_PROPERTY_MAP_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_CODE_FIELD_NUMBER: _ClassVar[int]
    INFO_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_UPTO_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_VALUE_FIELD_NUMBER: _ClassVar[int]
    ISSUE_TO_LOYALTY_FIELD_NUMBER: _ClassVar[int]
    NUM_UPLOADED_NON_ISSUED_FIELD_NUMBER: _ClassVar[int]
    NUM_UPLOADED_TOTAL_FIELD_NUMBER: _ClassVar[int]
    REDEMPTION_VALID_AFTER_DAYS_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_VALIDITY_FIELD_NUMBER: _ClassVar[int]
    ALPHA_NUMERIC_FIELD_NUMBER: _ClassVar[int]
    SHORT_CODE_LENGTH_FIELD_NUMBER: _ClassVar[int]
    RANDOM_CODE_LENGTH_FIELD_NUMBER: _ClassVar[int]
    FIXED_EXPIRY_DATE_FIELD_NUMBER: _ClassVar[int]
    NUM_TOTAL_FIELD_NUMBER: _ClassVar[int]
    LATEST_ISSUAL_TIME_FIELD_NUMBER: _ClassVar[int]
    LATEST_REDEMPTION_TIME_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_ON_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_TYPE_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ISSUAL_FIELD_NUMBER: _ClassVar[int]
    UPDATE_PRODUCT_DATA_FIELD_NUMBER: _ClassVar[int]
    custom_property_map: _containers.ScalarMap[str, str]
    id: int
    description: str
    discount_code: str
    info: str
    discount_upto: int
    discount_value: int
    issue_to_loyalty: bool
    num_uploaded_non_issued: int
    num_uploaded_total: int
    redemption_valid_after_days: int
    owner_id: int
    owner_validity: int
    alpha_numeric: bool
    short_code_length: int
    random_code_length: int
    fixed_expiry_date: int
    num_total: int
    latest_issual_time: int
    latest_redemption_time: int
    discount_on: str
    discount_type: str
    external_issual: bool
    update_product_data: bool
    def __init__(self, custom_property_map: _Optional[_Mapping[str, str]] = ..., id: _Optional[int] = ..., description: _Optional[str] = ..., discount_code: _Optional[str] = ..., info: _Optional[str] = ..., discount_upto: _Optional[int] = ..., discount_value: _Optional[int] = ..., issue_to_loyalty: _Optional[bool] = ..., num_uploaded_non_issued: _Optional[int] = ..., num_uploaded_total: _Optional[int] = ..., redemption_valid_after_days: _Optional[int] = ..., owner_id: _Optional[int] = ..., owner_validity: _Optional[int] = ..., alpha_numeric: _Optional[bool] = ..., short_code_length: _Optional[int] = ..., random_code_length: _Optional[int] = ..., fixed_expiry_date: _Optional[int] = ..., num_total: _Optional[int] = ..., latest_issual_time: _Optional[int] = ..., latest_redemption_time: _Optional[int] = ..., discount_on: _Optional[str] = ..., discount_type: _Optional[str] = ..., external_issual: _Optional[bool] = ..., update_product_data: _Optional[bool] = ...) -> None: ...

class CustomerView(_message.Message):
    __slots__ = ("id", "profiles")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROFILES_FIELD_NUMBER: _ClassVar[int]
    id: int
    profiles: _containers.RepeatedCompositeFieldContainer[CustomerProfile]
    def __init__(self, id: _Optional[int] = ..., profiles: _Optional[_Iterable[_Union[CustomerProfile, _Mapping]]] = ...) -> None: ...

class CustomerProfile(_message.Message):
    __slots__ = ("first_name", "last_name", "fields", "all_fields", "identifiers", "comm_channels", "user_id", "account_id", "auto_update_time", "identifiers_all")
    class FieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class AllFieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    FIRST_NAME_FIELD_NUMBER: _ClassVar[int]
    LAST_NAME_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    ALL_FIELDS_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIERS_FIELD_NUMBER: _ClassVar[int]
    COMM_CHANNELS_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    AUTO_UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIERS_ALL_FIELD_NUMBER: _ClassVar[int]
    first_name: str
    last_name: str
    fields: _containers.ScalarMap[str, str]
    all_fields: _containers.ScalarMap[str, str]
    identifiers: _containers.RepeatedCompositeFieldContainer[CustomerIdentifier]
    comm_channels: _containers.RepeatedScalarFieldContainer[str]
    user_id: int
    account_id: str
    auto_update_time: str
    identifiers_all: _containers.RepeatedCompositeFieldContainer[CustomerIdentifier]
    def __init__(self, first_name: _Optional[str] = ..., last_name: _Optional[str] = ..., fields: _Optional[_Mapping[str, str]] = ..., all_fields: _Optional[_Mapping[str, str]] = ..., identifiers: _Optional[_Iterable[_Union[CustomerIdentifier, _Mapping]]] = ..., comm_channels: _Optional[_Iterable[str]] = ..., user_id: _Optional[int] = ..., account_id: _Optional[str] = ..., auto_update_time: _Optional[str] = ..., identifiers_all: _Optional[_Iterable[_Union[CustomerIdentifier, _Mapping]]] = ...) -> None: ...

class CustomerIdentifier(_message.Message):
    __slots__ = ("type", "value")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    type: str
    value: str
    def __init__(self, type: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class BulkIssueRequest(_message.Message):
    __slots__ = ("series_ids", "customer", "metadata", "request_id")
    SERIES_IDS_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    series_ids: _containers.RepeatedScalarFieldContainer[int]
    customer: _common_pb2.CustomerRef
    metadata: _common_pb2.IssuanceMetadata
    request_id: str
    def __init__(self, series_ids: _Optional[_Iterable[int]] = ..., customer: _Optional[_Union[_common_pb2.CustomerRef, _Mapping]] = ..., metadata: _Optional[_Union[_common_pb2.IssuanceMetadata, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class BulkIssueResponse(_message.Message):
    __slots__ = ("response", "total_count", "failure_count")
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_COUNT_FIELD_NUMBER: _ClassVar[int]
    response: _containers.RepeatedCompositeFieldContainer[BulkIssueEntry]
    total_count: int
    failure_count: int
    def __init__(self, response: _Optional[_Iterable[_Union[BulkIssueEntry, _Mapping]]] = ..., total_count: _Optional[int] = ..., failure_count: _Optional[int] = ...) -> None: ...

class BulkIssueEntry(_message.Message):
    __slots__ = ("entity_id", "result", "errors", "warnings")
    ENTITY_ID_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    entity_id: int
    result: BulkIssueResult
    errors: _containers.RepeatedCompositeFieldContainer[_common_pb2.IssueError]
    warnings: _containers.RepeatedCompositeFieldContainer[_common_pb2.IssueWarning]
    def __init__(self, entity_id: _Optional[int] = ..., result: _Optional[_Union[BulkIssueResult, _Mapping]] = ..., errors: _Optional[_Iterable[_Union[_common_pb2.IssueError, _Mapping]]] = ..., warnings: _Optional[_Iterable[_Union[_common_pb2.IssueWarning, _Mapping]]] = ...) -> None: ...

class BulkIssueResult(_message.Message):
    __slots__ = ("code", "series_id", "description", "discount_code", "valid_till", "discount_type", "discount_value", "discount_upto", "discount_on", "detailed_info", "redemption_count", "id")
    CODE_FIELD_NUMBER: _ClassVar[int]
    SERIES_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_CODE_FIELD_NUMBER: _ClassVar[int]
    VALID_TILL_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_TYPE_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_VALUE_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_UPTO_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_ON_FIELD_NUMBER: _ClassVar[int]
    DETAILED_INFO_FIELD_NUMBER: _ClassVar[int]
    REDEMPTION_COUNT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    code: str
    series_id: int
    description: str
    discount_code: str
    valid_till: _timestamp_pb2.Timestamp
    discount_type: str
    discount_value: int
    discount_upto: int
    discount_on: str
    detailed_info: str
    redemption_count: int
    id: int
    def __init__(self, code: _Optional[str] = ..., series_id: _Optional[int] = ..., description: _Optional[str] = ..., discount_code: _Optional[str] = ..., valid_till: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., discount_type: _Optional[str] = ..., discount_value: _Optional[int] = ..., discount_upto: _Optional[int] = ..., discount_on: _Optional[str] = ..., detailed_info: _Optional[str] = ..., redemption_count: _Optional[int] = ..., id: _Optional[int] = ...) -> None: ...
