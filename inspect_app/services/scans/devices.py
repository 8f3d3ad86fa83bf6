"""A scanned device against the unit's 涉密设备 register (台账).

The registers are an area of their own; where one exists, a scan's devices are matched to its entries. This is
the one place that asks: until the registers are part of the product it finds none, and the scan's texts say
nothing of a register.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class RegisteredDevice:
    """The register's entry for a scanned device: its id, and how the register describes it (责任人, 密级, 位置)."""

    entry_id: int
    description: str


def registered_device(session: Session, unit_id: int, device_id: str,
                      asset_number: str | None) -> RegisteredDevice | None:
    """The entry of the unit's 涉密设备 register that is this device, by asset number first, then by device id;
    None when the register holds no such entry (and, for now, always: no register exists yet)."""
    return None
