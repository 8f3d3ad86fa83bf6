"""Registers (台账) a unit keeps and an inspection samples: 涉密人员, 涉密载体, 涉密设备, 定密责任人 and the
国家秘密事项 determined, 要害部门部位; and the draws an inspection made from them, with each entry's check.

A register holds what a ledger holds: who, what, where and when, never the content of a secret.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from .base import db, utcnow
from .org import User


class RegisterKind(StrEnum):
    """The registers a unit keeps, as checklist items and draws name them."""

    PERSONNEL = "personnel"  # 涉密人员
    CARRIERS = "carriers"  # 涉密载体
    DEVICES = "devices"  # 涉密设备
    CLASSIFIERS = "classifiers"  # 定密责任人
    MATTERS = "matters"  # 国家秘密事项
    KEY_PLACES = "key_places"  # 要害部门部位


class Level(StrEnum):
    """密级 (保守国家秘密法 第十四条)."""

    TOP_SECRET = "top_secret"  # 绝密
    SECRET = "secret"  # 机密
    CONFIDENTIAL = "confidential"  # 秘密


class PersonClass(StrEnum):
    """The class of a cleared person (第四十三条)."""

    CORE = "core"  # 核心
    IMPORTANT = "important"  # 重要
    GENERAL = "general"  # 一般


class PersonState(StrEnum):
    """Derived from the dates, never stored."""

    ON_POST = "on_post"  # 在岗
    DECLEARING = "declearing"  # 脱密期中
    RELEASED = "released"  # 已解脱


class CarrierKind(StrEnum):
    PAPER = "paper"  # 纸质文件资料
    MEDIA = "media"  # 存储介质
    OTHER = "other"  # 其他（图纸、音像、实物）


class CarrierSource(StrEnum):
    RECEIVED = "received"  # 收文
    MADE = "made"  # 自制
    COPIED = "copied"  # 复制


class CarrierState(StrEnum):
    HELD = "held"  # 在用
    SURRENDERED = "surrendered"  # 已清退、移交
    DESTROYED = "destroyed"  # 已销毁


class DeviceKind(StrEnum):
    DESKTOP = "desktop"  # 涉密台式计算机
    LAPTOP = "laptop"  # 涉密便携式计算机
    OFFICE = "office"  # 打印机、复印机、多功能一体机
    OTHER = "other"  # 其他信息设备


class DeviceState(StrEnum):
    IN_USE = "in_use"  # 在用
    IDLE = "idle"  # 停用
    RETIRED = "retired"  # 已报废


class MatterState(StrEnum):
    ACTIVE = "active"  # 在保密期限内
    DECLASSIFIED = "declassified"  # 已解密


class PlaceKind(StrEnum):
    DEPARTMENT = "department"  # 要害部门
    POSITION = "position"  # 要害部位


class RegisterEntry(db.Model):
    """What every register row has: its unit, its number in the unit's ledger, and who changed it last."""

    __abstract__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"))  # indexed by the unique (unit_id, number)
    number: Mapped[str] = mapped_column(String(40))  # 编号, unique in the unit's register
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    revision: Mapped[int] = mapped_column(Integer, default=1)  # a stale form is refused

    @declared_attr.directive
    def __table_args__(cls):
        return (UniqueConstraint("unit_id", "number"),)

    @declared_attr
    def updated_by(cls) -> Mapped[User | None]:
        return relationship(foreign_keys=[cls.updated_by_id])


class SecretPerson(RegisterEntry):
    """涉密人员台账: one cleared person."""

    __tablename__ = "register_person"

    name: Mapped[str] = mapped_column(String(64))
    post: Mapped[str] = mapped_column(String(120))  # 部门和岗位
    person_class: Mapped[str] = mapped_column(String(16))
    vetted_on: Mapped[date | None] = mapped_column(Date)  # 上岗审查
    pledged_on: Mapped[date | None] = mapped_column(Date)  # 保密承诺书
    trained_on: Mapped[date | None] = mapped_column(Date)  # the latest secrecy training
    left_on: Mapped[date | None] = mapped_column(Date)  # 离岗离职
    declear_until: Mapped[date | None] = mapped_column(Date)  # the last day of the 脱密期
    released_on: Mapped[date | None] = mapped_column(Date)  # the release from it, recorded
    exit_approvals: Mapped[str | None] = mapped_column(Text)  # 出境审批, as the ledger lists them


class SecretCarrier(RegisterEntry):
    """涉密载体台账: one document, medium or object."""

    __tablename__ = "register_carrier"

    title: Mapped[str] = mapped_column(String(200))  # 名称 (a title, never the content)
    kind: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    holder: Mapped[str] = mapped_column(String(64))  # 保管人
    received_on: Mapped[date | None] = mapped_column(Date)  # 收到或制作
    copied_on: Mapped[date | None] = mapped_column(Date)
    secret_until: Mapped[date | None] = mapped_column(Date)  # the end of its 保密期限
    reviewed_on: Mapped[date | None] = mapped_column(Date)  # its latest review (解密审核)
    destroyed_on: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default=CarrierState.HELD)


class SecretDevice(RegisterEntry):
    """涉密设备台账: a classified computer or office device, by its asset number."""

    __tablename__ = "register_device"

    kind: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(16))
    location: Mapped[str] = mapped_column(String(120))
    responsible: Mapped[str] = mapped_column(String(64))
    dedicated: Mapped[bool] = mapped_column(Boolean, default=True)  # 专机专用
    red_black_power: Mapped[bool | None] = mapped_column(Boolean)  # 红黑电源; None: not applicable
    video_jammer: Mapped[bool | None] = mapped_column(Boolean)  # 视频干扰器; None: not applicable
    state: Mapped[str] = mapped_column(String(16), default=DeviceState.IN_USE)


class Classifier(RegisterEntry):
    """定密责任人: who may determine secrets, appointed by whom and when."""

    __tablename__ = "register_classifier"

    name: Mapped[str] = mapped_column(String(64))
    post: Mapped[str] = mapped_column(String(120))
    authority: Mapped[str] = mapped_column(String(16))  # the highest level they may determine
    appointed_by: Mapped[str] = mapped_column(String(120))
    appointed_on: Mapped[date | None] = mapped_column(Date)
    dismissed_on: Mapped[date | None] = mapped_column(Date)


class SecretMatter(RegisterEntry):
    """国家秘密事项一览表: one matter determined; its title, level, period, scope and basis, never the secret."""

    __tablename__ = "register_matter"

    title: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    period_years: Mapped[int | None] = mapped_column(Integer)  # 保密期限
    scope: Mapped[str] = mapped_column(Text)  # 知悉范围
    basis: Mapped[str | None] = mapped_column(Text)  # 定密依据
    classifier: Mapped[str | None] = mapped_column(String(64))  # the 定密责任人 who approved it
    determined_on: Mapped[date | None] = mapped_column(Date)
    declassify_on: Mapped[date | None] = mapped_column(Date)  # 解密时间
    review_on: Mapped[date | None] = mapped_column(Date)  # the next review
    state: Mapped[str] = mapped_column(String(16), default=MatterState.ACTIVE)


class KeyPlace(RegisterEntry):
    """要害部门部位 (第三十九条): a department or position, and when the bureau confirmed it."""

    __tablename__ = "register_key_place"

    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))
    responsible: Mapped[str | None] = mapped_column(String(64))
    confirmed_on: Mapped[date | None] = mapped_column(Date)
    confirmed_by: Mapped[str | None] = mapped_column(String(120))  # the bureau's 确认 document
    measures: Mapped[str | None] = mapped_column(Text)  # 防护措施


# Sampling ------------------------------------------------------------------------------------------------


class SampleResult(StrEnum):
    COMPLIANT = "compliant"  # 符合
    NONCOMPLIANT = "noncompliant"  # 不符合


class SampleDraw(db.Model):
    """The entries an inspection drew from a register for one checklist item: the seed and the population it
    was drawn from, so the draw can be made again and come out the same."""

    __tablename__ = "sample_draw"
    __table_args__ = (UniqueConstraint("inspection_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id"))  # indexed by the unique constraint
    item_id: Mapped[int] = mapped_column(ForeignKey("checklist_item.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    register: Mapped[str] = mapped_column(String(16))
    seed: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    population_json: Mapped[str] = mapped_column(Text)  # the entry ids drawn from, in ascending order
    entries_json: Mapped[str] = mapped_column(Text)  # the entries drawn, in draw order: id, number, title
    drawn_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    drawn_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    checks: Mapped[list[SampleCheck]] = relationship(back_populates="draw", order_by="SampleCheck.id")

    @property
    def population(self) -> list[int]:
        return json.loads(self.population_json)

    @property
    def entries(self) -> list[dict]:
        return json.loads(self.entries_json)


class SampleCheck(db.Model):
    """What the inspector found of one drawn entry."""

    __tablename__ = "sample_check"
    __table_args__ = (UniqueConstraint("draw_id", "entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("sample_draw.id"))  # indexed by the unique constraint
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    entry_id: Mapped[int] = mapped_column(Integer)
    result: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    checked_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    checked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    draw: Mapped[SampleDraw] = relationship(back_populates="checks")
