"""`python -m coupon_service` runs the CLI."""

from .cli import main

main()
