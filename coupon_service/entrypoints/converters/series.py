"""SeriesService messages <-> series and their policies."""

from __future__ import annotations

from coupon.v1 import series_service_pb2 as pb

from ...domain.model import CodeSource, CouponValidity, DiscountType, Series, SeriesPolicy
from ._wire import inverted, moment, to_timestamp

_DISCOUNT_TYPES = {
    DiscountType.ABS: pb.DISCOUNT_TYPE_ABS,
    DiscountType.PERC: pb.DISCOUNT_TYPE_PERC,
}
_CODE_SOURCES = {
    CodeSource.GENERATED: pb.CODE_SOURCE_GENERATED,
    CodeSource.UPLOADED: pb.CODE_SOURCE_UPLOADED,
    CodeSource.GENERIC: pb.CODE_SOURCE_GENERIC,
}
_VALIDITIES = {
    CouponValidity.SERIES_EXPIRY: pb.COUPON_VALIDITY_SERIES_EXPIRY,
    CouponValidity.FIXED_DATE: pb.COUPON_VALIDITY_FIXED_DATE,
    CouponValidity.DAYS_AFTER_ISSUE: pb.COUPON_VALIDITY_DAYS_AFTER_ISSUE,
}
# A value left unspecified (or one this server does not know) means the first of each table.
_DISCOUNT_TYPE_OF = inverted(_DISCOUNT_TYPES)
_CODE_SOURCE_OF = inverted(_CODE_SOURCES)
_VALIDITY_OF = inverted(_VALIDITIES)


# SeriesPolicy attributes and the Series fields that carry them unchanged, both ways.
_SAME_FIELDS = {
    "description": "description",
    "discount_code": "discount_code",
    "info": "info",
    "discount_value": "discount_value",
    "discount_upto": "discount_upto",
    "alpha_numeric": "alpha_numeric",
    "code_prefix": "code_prefix",
    "code_suffix": "code_suffix",
    "generic_code": "generic_code",
    "valid_days_after_issue": "valid_days_after_issue",
    "multiple_per_user_allowed": "is_multiple_vouchers_per_user_allowed",
    "do_not_resend_existing": "do_not_resend_existing_voucher",
    "externally_managed": "externally_managed",
    "redemption_valid_after_days": "redemption_valid_after_days",
}
# Carried unchanged too, under the same name, except that a request leaving one out gets
# SeriesPolicy's default: the proto3 optional fields, and two plain ones whose empty or zero
# value means left out.
_OPTIONAL = (
    "max_create",
    "max_vouchers_per_user",
    "max_redemptions_per_coupon",
    "max_redemptions_per_customer",
    "max_redemptions",
)
_ZERO_MEANS_DEFAULT = ("discount_on", "random_code_length")


def series_policy(message: pb.Series) -> SeriesPolicy:
    chosen = {
        name: getattr(message, name) for name in _ZERO_MEANS_DEFAULT if getattr(message, name)
    }
    chosen |= {name: getattr(message, name) for name in _OPTIONAL if message.HasField(name)}
    return SeriesPolicy(
        **{attribute: getattr(message, wire) for attribute, wire in _SAME_FIELDS.items()},
        **chosen,
        discount_type=_DISCOUNT_TYPE_OF.get(message.discount_type, DiscountType.ABS),
        code_source=_CODE_SOURCE_OF.get(message.code_source, CodeSource.GENERATED),
        valid_till=moment(message.valid_till, message.HasField("valid_till"), "validTill"),
        coupon_validity=_VALIDITY_OF.get(message.coupon_validity, CouponValidity.SERIES_EXPIRY),
        fixed_expiry_date=moment(
            message.fixed_expiry_date, message.HasField("fixed_expiry_date"), "fixedExpiryDate"
        ),
        custom_properties=dict(message.custom_property_map),
    )


def series_message(series: Series) -> pb.Series:
    policy = series.policy
    return pb.Series(
        **{wire: getattr(policy, attribute) for attribute, wire in _SAME_FIELDS.items()},
        **{name: getattr(policy, name) for name in _OPTIONAL + _ZERO_MEANS_DEFAULT},
        id=series.id,
        discount_type=_DISCOUNT_TYPES[policy.discount_type],
        code_source=_CODE_SOURCES[policy.code_source],
        valid_till=to_timestamp(policy.valid_till),
        coupon_validity=_VALIDITIES[policy.coupon_validity],
        fixed_expiry_date=to_timestamp(policy.fixed_expiry_date),
        custom_property_map=dict(policy.custom_properties),
        num_issued=series.num_issued,
        num_uploaded_total=series.num_uploaded,
        num_uploaded_non_issued=series.num_uploaded_non_issued,
        latest_issual_time=to_timestamp(series.latest_issued_at),
        create_time=to_timestamp(series.created_at),
        num_redeemed=series.num_redeemed,
    )
