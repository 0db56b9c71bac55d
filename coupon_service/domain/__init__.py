"""Coupon rules, codes and errors; imports nothing but the standard library."""
