"""The issue/multiple document's request bodies, first response and error envelopes."""

from __future__ import annotations

# The request bodies of the document, character for character.
DOCUMENTED_BY_MOBILE = """{
    "seriesId": 415446,
    "count": 2,
    "customer": {
        "mobile": "11223569865"
    }
}"""
# The document's web page hides the address behind "[email protected]".
DOCUMENTED_BY_EMAIL = """{
    "seriesId": 415446,
    "count": 2,
    "customer": {
        "email": "[email protected]"
    }
}"""
DOCUMENTED_GENERIC = """{
    "seriesId": 18426,
    "count": 2,
    "customer": {
        "externalId": "3873472"
    }
}"""
DOCUMENTED_SEVERAL_SERIES = """{
    "seriesId": [415446,535521],
    "count": 2,
    "customer": {
        "mobile": "11223569865"
    }
}"""
# The document's request table names the field `seriesIds`: its examples' body, so spelled.
DOCUMENTED_SERIES_IDS = DOCUMENTED_SEVERAL_SERIES.replace('"seriesId"', '"seriesIds"')
DOCUMENTED_REQUESTS = [
    DOCUMENTED_BY_MOBILE,
    DOCUMENTED_BY_EMAIL,
    DOCUMENTED_GENERIC,
    DOCUMENTED_SEVERAL_SERIES,
    DOCUMENTED_SERIES_IDS,
]

# The first documented response, character for character.
DOCUMENTED_RESPONSE = """{
    "coupons": [
        {
            "code": "3084294818",
            "couponId": 1237263304
        },
        {
            "code": "5686061236",
            "couponId": 1237263305
        }
    ],
    "couponConfig": {
        "customPropertyMap": {},
        "id": 0,
        "description": "IKEA - 500KW Voucher ",
        "discountCode": "NO_VALUE",
        "info": "IKEA - 500KW Voucher ",
        "discountUpto": 0,
        "discountValue": 500,
        "issueToLoyalty": false,
        "numUploadedNonIssued": 0,
        "numUploadedTotal": 0,
        "redemptionValidAfterDays": 0,
        "ownerId": 0,
        "ownerValidity": 0,
        "alphaNumeric": false,
        "shortCodeLength": 0,
        "randomCodeLength": 0,
        "fixedExpiryDate": 0,
        "numTotal": 0,
        "latestIssualTime": 0,
        "latestRedemptionTime": 0,
        "discountOn": "BILL",
        "discountType": "ABS",
        "externalIssual": false,
        "updateProductData": false
    },
    "totalCount": 2,
    "failureCount": 0,
    "successCount": 2,
    "customer": {
        "id": 555567088,
        "profiles": [
            {
                "firstName": "Abijith",
                "lastName": "Gupta",
                "fields": {},
                "allFields": {},
                "identifiers": [
                    {
                        "type": "mobile",
                        "value": "11223569865"
                    },
                    {
                        "type": "externalId",
                        "value": "000003873472"
                    }
                ],
                "commChannels": [],
                "userId": 555567088,
                "accountId": "",
                "autoUpdateTime": "2024-08-20T09:57:15Z",
                "identifiersAll": [
                    {
                        "type": "mobile",
                        "value": "11223569865"
                    },
                    {
                        "type": "externalId",
                        "value": "000003873472"
                    }
                ]
            }
        ]
    },
    "errors": [],
    "warnings": []
}"""
# The documented error envelopes.
DOCUMENTED_ERRORS = {
    707: {"errors": [{"status": False, "code": 707, "message": "Coupon Series ID is invalid"}]},
    677: {
        "errors": [
            {
                "status": False,
                "code": 677,
                "message": "Invalid coupon count. Minimum 1 and Maximum 500.",
            }
        ]
    },
    701: {
        "errors": [
            {
                "status": False,
                "code": 701,
                "message": "The customer could not be found. "
                "Please check mobile, email, external id passed",
            }
        ]
    },
    713: {"errors": [{"status": False, "message": "Coupon has expired", "code": 713}]},
    709: {
        "errors": [
            {
                "status": False,
                "message": "Coupon processing failed: user already has a coupon",
                "code": 709,
            }
        ]
    },
}
