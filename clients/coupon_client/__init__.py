"""A typed client for coupon.v1."""
