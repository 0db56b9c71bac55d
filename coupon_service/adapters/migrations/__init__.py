"""Alembic migrations of the coupon-service schema."""
