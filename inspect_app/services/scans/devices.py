"""A scanned device against the unit's 涉密设备 register (台账): the one place that asks which entry a device is."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...labels import DEVICE_KIND_LABELS, LEVEL_LABELS
from ...models import SecretDevice


@dataclass(frozen=True)
class RegisteredDevice:
    """The register's entry for a scanned device: its id, and how the register describes it (责任人, 密级, 位置)."""

    entry_id: int
    description: str


def registered_device(session: Session, unit_id: int, device_id: str,
                      asset_number: str | None) -> RegisteredDevice | None:
    """The entry of the unit's 涉密设备 register that is this device, by asset number first, then by device id;
    None when the register holds no such entry."""
    for number in (asset_number, device_id):
        if not number:
            continue
        entry = session.scalar(select(SecretDevice).where(SecretDevice.unit_id == unit_id,
                                                          SecretDevice.number == number.strip()))
        if entry is not None:
            with force_locale("zh"):  # the note is the inspection's record, in Chinese like the documents
                kind, level = DEVICE_KIND_LABELS.get(entry.kind, entry.kind), LEVEL_LABELS.get(entry.level, entry.level)
                return RegisteredDevice(
                    entry.id, f"{entry.number} {kind}，{level}，{entry.location}，责任人{entry.responsible}")
    return None
