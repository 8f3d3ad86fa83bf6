"""The security settings the 安全保密管理员 sets: one row a setting that differs from the configured default."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import db, utcnow


class SecuritySetting(db.Model):
    __tablename__ = "security_setting"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)  # the config key it overrides
    value: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
