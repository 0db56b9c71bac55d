"""coupon-service: issues coupons from coupon series to customers."""
