"""One line of `make bench`'s table: a figure, its target, and whether it meets it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    name: str
    figure: str
    target: str
    passed: bool | None  # None: reported for comparison, no target to meet

    @property
    def verdict(self) -> str:
        return {True: "pass", False: "FAIL", None: "-"}[self.passed]


def at_most(name: str, value: float, limit: float, unit: str = "", digits: int = 3) -> Row:
    """A figure that must not exceed `limit`."""
    return Row(name, f"{value:.{digits}f}{unit}", f"<= {limit:g}{unit}", value <= limit)


def below(name: str, value: float, limit: float, unit: str = "", digits: int = 3) -> Row:
    """A figure that must stay under `limit`."""
    return Row(name, f"{value:.{digits}f}{unit}", f"< {limit:g}{unit}", value < limit)


def at_least(name: str, value: float, limit: float, unit: str = "", digits: int = 3) -> Row:
    """A figure that must reach `limit`."""
    return Row(name, f"{value:.{digits}f}{unit}", f">= {limit:g}{unit}", value >= limit)
