"""The documented JSON field names, in the documents' own order: one list per object."""

from __future__ import annotations

# Key order of the first documented /v2/coupon/issue/multiple response.
DOCUMENTED_RESPONSE_KEYS = [
    "coupons",
    "couponConfig",
    "totalCount",
    "failureCount",
    "successCount",
    "customer",
    "errors",
    "warnings",
]
DOCUMENTED_CONFIG_KEYS = [
    "customPropertyMap",
    "id",
    "description",
    "discountCode",
    "info",
    "discountUpto",
    "discountValue",
    "issueToLoyalty",
    "numUploadedNonIssued",
    "numUploadedTotal",
    "redemptionValidAfterDays",
    "ownerId",
    "ownerValidity",
    "alphaNumeric",
    "shortCodeLength",
    "randomCodeLength",
    "fixedExpiryDate",
    "numTotal",
    "latestIssualTime",
    "latestRedemptionTime",
    "discountOn",
    "discountType",
    "externalIssual",
    "updateProductData",
]
DOCUMENTED_PROFILE_KEYS = [
    "firstName",
    "lastName",
    "fields",
    "allFields",
    "identifiers",
    "commChannels",
    "userId",
    "accountId",
    "autoUpdateTime",
    "identifiersAll",
]
DOCUMENTED_BULK_RESULT_KEYS = [
    "code",
    "seriesId",
    "description",
    "discountCode",
    "validTill",
    "discountType",
    "discountValue",
    "discountUpto",
    "discountOn",
    "detailedInfo",
    "redemptionCount",
    "id",
]
