"""Prints the README's settings table from coupon_service.config, where every setting lives."""

from __future__ import annotations

from coupon_service.config import describe


def settings_table() -> str:
    rows = ["| variable | flag (`coupon-service serve`) | default | meaning |", "|---|---|---|---|"]
    for flag, variable, default, meaning in describe():
        shown = f"`{default}`" if default else "off"
        rows.append(f"| `{variable}` | `{flag}` | {shown} | {meaning} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(settings_table(), end="")
