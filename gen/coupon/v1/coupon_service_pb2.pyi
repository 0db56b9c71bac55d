import datetime

from coupon.v1 import common_pb2 as _common_pb2
from coupon.v1 import customer_service_pb2 as _customer_service_pb2
from coupon.v1 import errors_pb2 as _errors_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CouponEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COUPON_EVENT_TYPE_UNSPECIFIED: _ClassVar[CouponEventType]
    COUPON_EVENT_TYPE_ISSUED: _ClassVar[CouponEventType]
    COUPON_EVENT_TYPE_REDEEMED: _ClassVar[CouponEventType]
    COUPON_EVENT_TYPE_REDEMPTION_REVERSED: _ClassVar[CouponEventType]
    COUPON_EVENT_TYPE_REVOKED: _ClassVar[CouponEventType]
COUPON_EVENT_TYPE_UNSPECIFIED: CouponEventType
COUPON_EVENT_TYPE_ISSUED: CouponEventType
COUPON_EVENT_TYPE_REDEEMED: CouponEventType
COUPON_EVENT_TYPE_REDEMPTION_REVERSED: CouponEventType
COUPON_EVENT_TYPE_REVOKED: CouponEventType

class IssueMultipleRequest(_message.Message):
    __slots__ = ("seriesId", "count", "customer", "metadata", "seriesIds", "requestId")
    SERIESID_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    SERIESIDS_FIELD_NUMBER: _ClassVar[int]
    REQUESTID_FIELD_NUMBER: _ClassVar[int]
    seriesId: int
    count: int
    customer: _common_pb2.CustomerRef
    metadata: _common_pb2.IssuanceMetadata
    seriesIds: _containers.RepeatedScalarFieldContainer[int]
    requestId: str
    def __init__(self, seriesId: _Optional[int] = ..., count: _Optional[int] = ..., customer: _Optional[_Union[_common_pb2.CustomerRef, _Mapping]] = ..., metadata: _Optional[_Union[_common_pb2.IssuanceMetadata, _Mapping]] = ..., seriesIds: _Optional[_Iterable[int]] = ..., requestId: _Optional[str] = ...) -> None: ...

class IssueMultipleResponse(_message.Message):
    __slots__ = ("coupons", "couponConfig", "totalCount", "failureCount", "successCount", "customer", "errors", "warnings", "couponConfigs")
    COUPONS_FIELD_NUMBER: _ClassVar[int]
    COUPONCONFIG_FIELD_NUMBER: _ClassVar[int]
    TOTALCOUNT_FIELD_NUMBER: _ClassVar[int]
    FAILURECOUNT_FIELD_NUMBER: _ClassVar[int]
    SUCCESSCOUNT_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    COUPONCONFIGS_FIELD_NUMBER: _ClassVar[int]
    coupons: _containers.RepeatedCompositeFieldContainer[IssuedCoupon]
    couponConfig: CouponConfig
    totalCount: int
    failureCount: int
    successCount: int
    customer: CustomerView
    errors: _containers.RepeatedCompositeFieldContainer[_common_pb2.IssueError]
    warnings: _containers.RepeatedCompositeFieldContainer[_common_pb2.IssueWarning]
    couponConfigs: _containers.RepeatedCompositeFieldContainer[CouponConfig]
    def __init__(self, coupons: _Optional[_Iterable[_Union[IssuedCoupon, _Mapping]]] = ..., couponConfig: _Optional[_Union[CouponConfig, _Mapping]] = ..., totalCount: _Optional[int] = ..., failureCount: _Optional[int] = ..., successCount: _Optional[int] = ..., customer: _Optional[_Union[CustomerView, _Mapping]] = ..., errors: _Optional[_Iterable[_Union[_common_pb2.IssueError, _Mapping]]] = ..., warnings: _Optional[_Iterable[_Union[_common_pb2.IssueWarning, _Mapping]]] = ..., couponConfigs: _Optional[_Iterable[_Union[CouponConfig, _Mapping]]] = ...) -> None: ...

class IssuedCoupon(_message.Message):
    __slots__ = ("code", "couponId", "seriesId", "validTill", "issuedAt")
    CODE_FIELD_NUMBER: _ClassVar[int]
    COUPONID_FIELD_NUMBER: _ClassVar[int]
    SERIESID_FIELD_NUMBER: _ClassVar[int]
    VALIDTILL_FIELD_NUMBER: _ClassVar[int]
    ISSUEDAT_FIELD_NUMBER: _ClassVar[int]
    code: str
    couponId: int
    seriesId: int
    validTill: _timestamp_pb2.Timestamp
    issuedAt: _timestamp_pb2.Timestamp
    def __init__(self, code: _Optional[str] = ..., couponId: _Optional[int] = ..., seriesId: _Optional[int] = ..., validTill: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., issuedAt: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CouponConfig(_message.Message):
    __slots__ = ("customPropertyMap", "id", "description", "discountCode", "info", "discountUpto", "discountValue", "issueToLoyalty", "numUploadedNonIssued", "numUploadedTotal", "redemptionValidAfterDays", "ownerId", "ownerValidity", "alphaNumeric", "shortCodeLength", "randomCodeLength", "fixedExpiryDate", "numTotal", "latestIssualTime", "latestRedemptionTime", "discountOn", "discountType", "externalIssual", "updateProductData")
    class CustomPropertyMapEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CUSTOMPROPERTYMAP_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DISCOUNTCODE_FIELD_NUMBER: _ClassVar[int]
    INFO_FIELD_NUMBER: _ClassVar[int]
    DISCOUNTUPTO_FIELD_NUMBER: _ClassVar[int]
    DISCOUNTVALUE_FIELD_NUMBER: _ClassVar[int]
    ISSUETOLOYALTY_FIELD_NUMBER: _ClassVar[int]
    NUMUPLOADEDNONISSUED_FIELD_NUMBER: _ClassVar[int]
    NUMUPLOADEDTOTAL_FIELD_NUMBER: _ClassVar[int]
    REDEMPTIONVALIDAFTERDAYS_FIELD_NUMBER: _ClassVar[int]
    OWNERID_FIELD_NUMBER: _ClassVar[int]
    OWNERVALIDITY_FIELD_NUMBER: _ClassVar[int]
    ALPHANUMERIC_FIELD_NUMBER: _ClassVar[int]
    SHORTCODELENGTH_FIELD_NUMBER: _ClassVar[int]
    RANDOMCODELENGTH_FIELD_NUMBER: _ClassVar[int]
    FIXEDEXPIRYDATE_FIELD_NUMBER: _ClassVar[int]
    NUMTOTAL_FIELD_NUMBER: _ClassVar[int]
    LATESTISSUALTIME_FIELD_NUMBER: _ClassVar[int]
    LATESTREDEMPTIONTIME_FIELD_NUMBER: _ClassVar[int]
    DISCOUNTON_FIELD_NUMBER: _ClassVar[int]
    DISCOUNTTYPE_FIELD_NUMBER: _ClassVar[int]
    EXTERNALISSUAL_FIELD_NUMBER: _ClassVar[int]
    UPDATEPRODUCTDATA_FIELD_NUMBER: _ClassVar[int]
    customPropertyMap: _containers.ScalarMap[str, str]
    id: int
    description: str
    discountCode: str
    info: str
    discountUpto: int
    discountValue: int
    issueToLoyalty: bool
    numUploadedNonIssued: int
    numUploadedTotal: int
    redemptionValidAfterDays: int
    ownerId: int
    ownerValidity: int
    alphaNumeric: bool
    shortCodeLength: int
    randomCodeLength: int
    fixedExpiryDate: int
    numTotal: int
    latestIssualTime: int
    latestRedemptionTime: int
    discountOn: str
    discountType: str
    externalIssual: bool
    updateProductData: bool
    def __init__(self, customPropertyMap: _Optional[_Mapping[str, str]] = ..., id: _Optional[int] = ..., description: _Optional[str] = ..., discountCode: _Optional[str] = ..., info: _Optional[str] = ..., discountUpto: _Optional[int] = ..., discountValue: _Optional[int] = ..., issueToLoyalty: _Optional[bool] = ..., numUploadedNonIssued: _Optional[int] = ..., numUploadedTotal: _Optional[int] = ..., redemptionValidAfterDays: _Optional[int] = ..., ownerId: _Optional[int] = ..., ownerValidity: _Optional[int] = ..., alphaNumeric: _Optional[bool] = ..., shortCodeLength: _Optional[int] = ..., randomCodeLength: _Optional[int] = ..., fixedExpiryDate: _Optional[int] = ..., numTotal: _Optional[int] = ..., latestIssualTime: _Optional[int] = ..., latestRedemptionTime: _Optional[int] = ..., discountOn: _Optional[str] = ..., discountType: _Optional[str] = ..., externalIssual: _Optional[bool] = ..., updateProductData: _Optional[bool] = ...) -> None: ...

class CustomerView(_message.Message):
    __slots__ = ("id", "profiles")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROFILES_FIELD_NUMBER: _ClassVar[int]
    id: int
    profiles: _containers.RepeatedCompositeFieldContainer[CustomerProfile]
    def __init__(self, id: _Optional[int] = ..., profiles: _Optional[_Iterable[_Union[CustomerProfile, _Mapping]]] = ...) -> None: ...

class CustomerProfile(_message.Message):
    __slots__ = ("firstName", "lastName", "fields", "allFields", "identifiers", "commChannels", "userId", "accountId", "autoUpdateTime", "identifiersAll")
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
    FIRSTNAME_FIELD_NUMBER: _ClassVar[int]
    LASTNAME_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    ALLFIELDS_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIERS_FIELD_NUMBER: _ClassVar[int]
    COMMCHANNELS_FIELD_NUMBER: _ClassVar[int]
    USERID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNTID_FIELD_NUMBER: _ClassVar[int]
    AUTOUPDATETIME_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIERSALL_FIELD_NUMBER: _ClassVar[int]
    firstName: str
    lastName: str
    fields: _containers.ScalarMap[str, str]
    allFields: _containers.ScalarMap[str, str]
    identifiers: _containers.RepeatedCompositeFieldContainer[CustomerIdentifier]
    commChannels: _containers.RepeatedScalarFieldContainer[str]
    userId: int
    accountId: str
    autoUpdateTime: str
    identifiersAll: _containers.RepeatedCompositeFieldContainer[CustomerIdentifier]
    def __init__(self, firstName: _Optional[str] = ..., lastName: _Optional[str] = ..., fields: _Optional[_Mapping[str, str]] = ..., allFields: _Optional[_Mapping[str, str]] = ..., identifiers: _Optional[_Iterable[_Union[CustomerIdentifier, _Mapping]]] = ..., commChannels: _Optional[_Iterable[str]] = ..., userId: _Optional[int] = ..., accountId: _Optional[str] = ..., autoUpdateTime: _Optional[str] = ..., identifiersAll: _Optional[_Iterable[_Union[CustomerIdentifier, _Mapping]]] = ...) -> None: ...

class CustomerIdentifier(_message.Message):
    __slots__ = ("type", "value")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    type: str
    value: str
    def __init__(self, type: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class BulkIssueRequest(_message.Message):
    __slots__ = ("seriesIds", "customer", "metadata", "requestId")
    SERIESIDS_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    REQUESTID_FIELD_NUMBER: _ClassVar[int]
    seriesIds: _containers.RepeatedScalarFieldContainer[int]
    customer: _common_pb2.CustomerRef
    metadata: _common_pb2.IssuanceMetadata
    requestId: str
    def __init__(self, seriesIds: _Optional[_Iterable[int]] = ..., customer: _Optional[_Union[_common_pb2.CustomerRef, _Mapping]] = ..., metadata: _Optional[_Union[_common_pb2.IssuanceMetadata, _Mapping]] = ..., requestId: _Optional[str] = ...) -> None: ...

class BulkIssueResponse(_message.Message):
    __slots__ = ("response", "totalCount", "failureCount")
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    TOTALCOUNT_FIELD_NUMBER: _ClassVar[int]
    FAILURECOUNT_FIELD_NUMBER: _ClassVar[int]
    response: _containers.RepeatedCompositeFieldContainer[BulkIssueEntry]
    totalCount: int
    failureCount: int
    def __init__(self, response: _Optional[_Iterable[_Union[BulkIssueEntry, _Mapping]]] = ..., totalCount: _Optional[int] = ..., failureCount: _Optional[int] = ...) -> None: ...

class BulkIssueEntry(_message.Message):
    __slots__ = ("entityId", "result", "errors", "warnings")
    ENTITYID_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    entityId: int
    result: BulkIssueResult
    errors: _containers.RepeatedCompositeFieldContainer[_common_pb2.IssueError]
    warnings: _containers.RepeatedCompositeFieldContainer[_common_pb2.IssueWarning]
    def __init__(self, entityId: _Optional[int] = ..., result: _Optional[_Union[BulkIssueResult, _Mapping]] = ..., errors: _Optional[_Iterable[_Union[_common_pb2.IssueError, _Mapping]]] = ..., warnings: _Optional[_Iterable[_Union[_common_pb2.IssueWarning, _Mapping]]] = ...) -> None: ...

class BulkIssueResult(_message.Message):
    __slots__ = ("code", "seriesId", "description", "discountCode", "validTill", "discountType", "discountValue", "discountUpto", "discountOn", "detailedInfo", "redemptionCount", "id")
    CODE_FIELD_NUMBER: _ClassVar[int]
    SERIESID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DISCOUNTCODE_FIELD_NUMBER: _ClassVar[int]
    VALIDTILL_FIELD_NUMBER: _ClassVar[int]
    DISCOUNTTYPE_FIELD_NUMBER: _ClassVar[int]
    DISCOUNTVALUE_FIELD_NUMBER: _ClassVar[int]
    DISCOUNTUPTO_FIELD_NUMBER: _ClassVar[int]
    DISCOUNTON_FIELD_NUMBER: _ClassVar[int]
    DETAILEDINFO_FIELD_NUMBER: _ClassVar[int]
    REDEMPTIONCOUNT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    code: str
    seriesId: int
    description: str
    discountCode: str
    validTill: _timestamp_pb2.Timestamp
    discountType: str
    discountValue: int
    discountUpto: int
    discountOn: str
    detailedInfo: str
    redemptionCount: int
    id: int
    def __init__(self, code: _Optional[str] = ..., seriesId: _Optional[int] = ..., description: _Optional[str] = ..., discountCode: _Optional[str] = ..., validTill: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., discountType: _Optional[str] = ..., discountValue: _Optional[int] = ..., discountUpto: _Optional[int] = ..., discountOn: _Optional[str] = ..., detailedInfo: _Optional[str] = ..., redemptionCount: _Optional[int] = ..., id: _Optional[int] = ...) -> None: ...

class CouponLookup(_message.Message):
    __slots__ = ("coupon_id", "code", "customer")
    COUPON_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    coupon_id: int
    code: str
    customer: _common_pb2.CustomerRef
    def __init__(self, coupon_id: _Optional[int] = ..., code: _Optional[str] = ..., customer: _Optional[_Union[_common_pb2.CustomerRef, _Mapping]] = ...) -> None: ...

class GetCouponRequest(_message.Message):
    __slots__ = ("coupon",)
    COUPON_FIELD_NUMBER: _ClassVar[int]
    coupon: CouponLookup
    def __init__(self, coupon: _Optional[_Union[CouponLookup, _Mapping]] = ...) -> None: ...

class GetCouponResponse(_message.Message):
    __slots__ = ("coupon",)
    COUPON_FIELD_NUMBER: _ClassVar[int]
    coupon: _customer_service_pb2.Coupon
    def __init__(self, coupon: _Optional[_Union[_customer_service_pb2.Coupon, _Mapping]] = ...) -> None: ...

class ValidateCouponRequest(_message.Message):
    __slots__ = ("code", "customer")
    CODE_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    code: str
    customer: _common_pb2.CustomerRef
    def __init__(self, code: _Optional[str] = ..., customer: _Optional[_Union[_common_pb2.CustomerRef, _Mapping]] = ...) -> None: ...

class ValidateCouponResponse(_message.Message):
    __slots__ = ("redeemable", "coupon", "refusal", "reason")
    REDEEMABLE_FIELD_NUMBER: _ClassVar[int]
    COUPON_FIELD_NUMBER: _ClassVar[int]
    REFUSAL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    redeemable: bool
    coupon: _customer_service_pb2.Coupon
    refusal: _errors_pb2.CouponErrorDetail
    reason: str
    def __init__(self, redeemable: _Optional[bool] = ..., coupon: _Optional[_Union[_customer_service_pb2.Coupon, _Mapping]] = ..., refusal: _Optional[_Union[_errors_pb2.CouponErrorDetail, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class RedeemCouponRequest(_message.Message):
    __slots__ = ("code", "customer", "bill_number", "bill_amount", "request_id")
    CODE_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    BILL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    BILL_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    code: str
    customer: _common_pb2.CustomerRef
    bill_number: str
    bill_amount: int
    request_id: str
    def __init__(self, code: _Optional[str] = ..., customer: _Optional[_Union[_common_pb2.CustomerRef, _Mapping]] = ..., bill_number: _Optional[str] = ..., bill_amount: _Optional[int] = ..., request_id: _Optional[str] = ...) -> None: ...

class RedeemCouponResponse(_message.Message):
    __slots__ = ("redemption", "coupon")
    REDEMPTION_FIELD_NUMBER: _ClassVar[int]
    COUPON_FIELD_NUMBER: _ClassVar[int]
    redemption: _common_pb2.Redemption
    coupon: _customer_service_pb2.Coupon
    def __init__(self, redemption: _Optional[_Union[_common_pb2.Redemption, _Mapping]] = ..., coupon: _Optional[_Union[_customer_service_pb2.Coupon, _Mapping]] = ...) -> None: ...

class ReverseRedemptionRequest(_message.Message):
    __slots__ = ("redemption_id",)
    REDEMPTION_ID_FIELD_NUMBER: _ClassVar[int]
    redemption_id: int
    def __init__(self, redemption_id: _Optional[int] = ...) -> None: ...

class ReverseRedemptionResponse(_message.Message):
    __slots__ = ("redemption", "coupon")
    REDEMPTION_FIELD_NUMBER: _ClassVar[int]
    COUPON_FIELD_NUMBER: _ClassVar[int]
    redemption: _common_pb2.Redemption
    coupon: _customer_service_pb2.Coupon
    def __init__(self, redemption: _Optional[_Union[_common_pb2.Redemption, _Mapping]] = ..., coupon: _Optional[_Union[_customer_service_pb2.Coupon, _Mapping]] = ...) -> None: ...

class RevokeCouponRequest(_message.Message):
    __slots__ = ("coupon", "reason")
    COUPON_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    coupon: CouponLookup
    reason: str
    def __init__(self, coupon: _Optional[_Union[CouponLookup, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class RevokeCouponResponse(_message.Message):
    __slots__ = ("coupon",)
    COUPON_FIELD_NUMBER: _ClassVar[int]
    coupon: _customer_service_pb2.Coupon
    def __init__(self, coupon: _Optional[_Union[_customer_service_pb2.Coupon, _Mapping]] = ...) -> None: ...

class WatchEventsRequest(_message.Message):
    __slots__ = ("after", "from_now")
    AFTER_FIELD_NUMBER: _ClassVar[int]
    FROM_NOW_FIELD_NUMBER: _ClassVar[int]
    after: str
    from_now: bool
    def __init__(self, after: _Optional[str] = ..., from_now: _Optional[bool] = ...) -> None: ...

class CouponEvent(_message.Message):
    __slots__ = ("cursor", "type", "occurred_at", "coupon_id", "code", "series_id", "customer_id", "valid_till", "issuance", "redemption", "revoke_reason")
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    COUPON_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    SERIES_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    VALID_TILL_FIELD_NUMBER: _ClassVar[int]
    ISSUANCE_FIELD_NUMBER: _ClassVar[int]
    REDEMPTION_FIELD_NUMBER: _ClassVar[int]
    REVOKE_REASON_FIELD_NUMBER: _ClassVar[int]
    cursor: str
    type: CouponEventType
    occurred_at: _timestamp_pb2.Timestamp
    coupon_id: int
    code: str
    series_id: int
    customer_id: int
    valid_till: _timestamp_pb2.Timestamp
    issuance: _common_pb2.IssuanceMetadata
    redemption: _common_pb2.Redemption
    revoke_reason: str
    def __init__(self, cursor: _Optional[str] = ..., type: _Optional[_Union[CouponEventType, str]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., coupon_id: _Optional[int] = ..., code: _Optional[str] = ..., series_id: _Optional[int] = ..., customer_id: _Optional[int] = ..., valid_till: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., issuance: _Optional[_Union[_common_pb2.IssuanceMetadata, _Mapping]] = ..., redemption: _Optional[_Union[_common_pb2.Redemption, _Mapping]] = ..., revoke_reason: _Optional[str] = ...) -> None: ...
