"""The bulk/issue document's request body and response."""

from __future__ import annotations

# The document shows only this line of the body; the customer is mandatory, so it is added.
DOCUMENTED_FRAGMENT = '"seriesIds" :[544770,553379],'
DOCUMENTED_REQUEST = (
    "{\n    " + DOCUMENTED_FRAGMENT + '\n    "customer": {"mobile": "11223569865"}\n}'
)
# The documented response, with the braces the document's page lost put back.
DOCUMENTED_RESPONSE = """{
"response": [
{
"entityId": 544770,
"result": {
"code": "TPLPYOEYOT",
"seriesId": 544770,
"description": "Festival coupon",
"discountCode": "erg123",
"validTill": "2026-05-09T00:00:00Z",
"discountType": "ABS",
"discountValue": 500,
"discountUpto": 0,
"discountOn": "BILL",
"detailedInfo": "Evil coupon",
"redemptionCount": 0,
"id": 0
},
"errors": [],
"warnings": []
},
{
"entityId": 553379,
"result": {
"code": "9WJIGHOBRL",
"seriesId": 553379,
"description": "DIWALI 100% OFF",
"discountCode": "XYZ123",
"validTill": "2029-05-09T00:00:00Z",
"discountType": "ABS",
"discountValue": 500,
"discountUpto": 0,
"discountOn": "BILL",
"detailedInfo": "Evil coupon",
"redemptionCount": 0,
"id": 0
},
"errors": [],
"warnings": []
}
],
"totalCount": 2,
"failureCount": 0
}"""
