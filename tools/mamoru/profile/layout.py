# SPDX-License-Identifier: GPL-2.0-only
"""Struct layouts as the profile needs them, whichever debug format they came from."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Member:
    """One member, with anonymous struct/union members already flattened into the parent."""

    name: str
    bit_offset: int      # from the start of the outermost struct
    size: int            # bytes of the member's type (for a bitfield: its storage type)
    bit_size: int = 0    # non-zero for bitfields

    @property
    def offset(self) -> int:
        return self.bit_offset // 8


@dataclass
class Struct:
    name: str
    size: int
    members: dict[str, Member] = field(default_factory=dict)


class TypeSource(Protocol):
    """Debug information that can describe named structs and enumerators."""

    def structs(self, names: Iterable[str]) -> dict[str, Struct]:
        """The complete definitions found for these struct (or union) names."""
        ...

    def enumerators(self, names: Iterable[str]) -> dict[str, int]:
        """Values of these enumerator names (e.g. PIDTYPE_MAX) where found."""
        ...
