"""The six registers as data: each one's fields (heading, kind, whether required, its choices), how an entry
reads in a list and in a draw, its state, and the checks across its fields. Forms, imports, exports and pages
are all made from these descriptions, so a field is named in one place."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, or_

from ... import labels
from ...models.registers import (
    Classifier,
    KeyPlace,
    Level,
    RegisterEntry,
    RegisterKind,
    SecretCarrier,
    SecretDevice,
    SecretMatter,
    SecretPerson,
)

TEXT = "text"  # one line
LONG = "long"  # several lines
DAY = "date"
CHOICE = "choice"
FLAG = "flag"  # 是 / 否
MAYBE = "maybe"  # 是 / 否 / 不适用 (None)
YEARS = "years"  # a whole number of years

YES = {"是", "有", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "无", "n", "no", "false", "0", "×"}
NOT_APPLICABLE = {"不适用", "n/a", "na", "-", "—", ""}

# 保守国家秘密法 第二十条: the longest 保密期限 of each level, in years.
MAX_PERIOD_YEARS = {Level.TOP_SECRET: 30, Level.SECRET: 20, Level.CONFIDENTIAL: 10}


@dataclass(frozen=True)
class Field:
    name: str  # the model's attribute
    heading: object  # a lazy string: the column heading, the form's label
    kind: str = TEXT
    required: bool = False
    limit: int = 120
    choices: Mapping[str, object] | None = None
    hint: object | None = None

    @property
    def free_text(self) -> bool:
        """Text a person writes, which the classified-content guard reads."""
        return self.kind in (TEXT, LONG)

    def names(self) -> tuple[str, ...]:
        """The headings an import file may give this column: the Chinese, the English, the code's name."""
        with force_locale("zh"):
            chinese = str(self.heading)
        with force_locale("en"):
            english = str(self.heading)
        return tuple(dict.fromkeys((chinese, english, self.name)))


Problem = tuple[str, str]  # (field name, what is wrong)


@dataclass(frozen=True)
class Register:
    key: str
    model: type[RegisterEntry]
    fields: tuple[Field, ...]  # the number first
    title_field: str  # what names the entry beside its number
    listed: tuple[str, ...]  # the list's columns after number and title
    searched: tuple[str, ...]  # where the list's search looks, besides the number
    measure: object  # the counting word: 名, 份, 台, 项, 个
    states: Mapping[str, object] | None = None
    checks: Callable[[dict, date], list[Problem]] = lambda _values, _today: []

    @property
    def name(self) -> str:
        return labels.label(labels.REGISTER_LABELS, self.key)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def title_of(self, entry: RegisterEntry) -> str:
        return getattr(entry, self.title_field)

    def state_of(self, entry: RegisterEntry, today: date) -> str | None:
        """The entry's state: stored, or for a person derived from the dates."""
        if self.model is SecretPerson:
            return person_state(entry, today)
        return getattr(entry, "state", None)

    def state_clause(self, state: str, today: date) -> ColumnElement[bool]:
        if self.model is SecretPerson:
            return person_state_clause(state, today)
        return self.model.state == state


# Reading a value -----------------------------------------------------------------------------------------

_DAY = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]00:00(?::00)?)?$")


def parse_day(text: str) -> date | None:
    """A date as a person or a spreadsheet writes it: 2026-03-01, 2026/3/1, 2026年3月1日, or a cell's
    2026-03-01 00:00:00; None when it is none of these."""
    match = _DAY.match(text.strip())
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


_CHOICE_WORDS: dict[int, dict[str, str]] = {}


def _choice_key(field: Field, text: str) -> str | None:
    """The key of the choice `text` names: the key itself or its label in Chinese or English, in any case. The
    words are read once a field (an import reads thousands of cells)."""
    words = _CHOICE_WORDS.get(id(field))
    if words is None:
        words = {}
        for key, label in field.choices.items():
            words[key] = key
            for language in ("zh", "en"):
                with force_locale(language):
                    words[str(label).lower()] = key
        _CHOICE_WORDS[id(field)] = words
    return words.get(text.strip().lower())


def parse(field: Field, text: str | None):
    """(value, problem): the field's value read from text, or the reason it cannot be read."""
    text = (text or "").strip()
    if field.kind in (TEXT, LONG):
        if len(text) > field.limit:
            return None, _("不能超过 %(n)d 个字", n=field.limit)
        return text or None, None
    if field.kind == MAYBE:
        lowered = text.lower()
        if lowered in YES or lowered in NO or lowered in NOT_APPLICABLE:
            return (True if lowered in YES else False if lowered in NO else None), None
        return None, _("应填“是”“否”或“不适用”")
    if not text:
        return None, None
    if field.kind == DAY:
        day = parse_day(text)
        return (day, None) if day else (None, _("日期应写作 2026-03-01"))
    if field.kind == CHOICE:
        key = _choice_key(field, text)
        if key is None:
            return None, _("应为：%(names)s", names="、".join(str(v) for v in field.choices.values()))
        return key, None
    if field.kind == FLAG:
        lowered = text.lower()
        return (lowered in YES, None) if lowered in YES | NO else (None, _("应填“是”或“否”"))
    if field.kind == YEARS:
        return (int(text), None) if text.isdigit() and 0 < int(text) < 100 else (None, _("应为 1 到 99 的整数年"))
    raise ValueError(field.kind)


def shown(field: Field, value) -> str:
    """A value as the pages and the exports write it."""
    if value is None:
        return _("不适用") if field.kind == MAYBE else ""
    if field.kind == CHOICE:
        return labels.label(field.choices, value)
    if field.kind in (FLAG, MAYBE):
        return _("是") if value else _("否")
    if field.kind == DAY:
        return value.isoformat()
    return str(value)


def read(register: Register, raw: Mapping[str, str | None], today: date) -> tuple[dict, list[Problem]]:
    """Every field's value from its text, and what is wrong: unreadable, missing, or at odds with another field."""
    values, problems = {}, []
    for field in register.fields:
        value, problem = parse(field, raw.get(field.name))
        if problem is None and value is None and field.required:
            problem = _("必填")
        if problem:
            problems.append((field.name, problem))
        values[field.name] = value
    if not problems:
        problems.extend(register.checks(values, today))
    return values, problems


# The registers -------------------------------------------------------------------------------------------

NUMBER = Field("number", _l("编号"), required=True, limit=40, hint=_l("台账中的编号，在本单位的这本台账中不重复"))


def _not_after(values: dict, today: date, *names: str) -> list[Problem]:
    return [(n, _("不能晚于今天")) for n in names if values.get(n) and values[n] > today]


def _not_before(values: dict, later: str, earlier: str, message: str) -> list[Problem]:
    if values.get(later) and values.get(earlier) and values[later] < values[earlier]:
        return [(later, message)]
    return []


def person_state(person: SecretPerson, today: date) -> str:
    if person.released_on is not None:
        return "released"
    if person.left_on is not None and person.left_on <= today:
        return "declearing"
    return "on_post"


def person_state_clause(state: str, today: date) -> ColumnElement[bool]:
    released = SecretPerson.released_on.is_not(None)
    left = and_(SecretPerson.left_on.is_not(None), SecretPerson.left_on <= today)
    if state == "released":
        return released
    if state == "declearing":
        return and_(~released, left)
    return and_(~released, or_(SecretPerson.left_on.is_(None), SecretPerson.left_on > today))


def _person_checks(values: dict, today: date) -> list[Problem]:
    problems = _not_after(values, today, "vetted_on", "pledged_on", "trained_on", "released_on")
    for name in ("declear_until", "released_on"):
        if values.get(name) and not values.get("left_on"):
            problems.append((name, _("先填离岗离职日期")))
    problems += _not_before(values, "declear_until", "left_on", _("脱密期不能在离岗之前结束"))
    problems += _not_before(values, "released_on", "left_on", _("解脱日期不能早于离岗日期"))
    return problems


PERSONNEL = Register(
    key=RegisterKind.PERSONNEL, model=SecretPerson, title_field="name",
    fields=(
        NUMBER,
        Field("name", _l("姓名"), required=True, limit=64),
        Field("post", _l("部门和岗位"), required=True),
        Field("person_class", _l("涉密等级"), CHOICE, required=True, choices=labels.PERSON_CLASS_LABELS),
        Field("vetted_on", _l("上岗审查日期"), DAY),
        Field("pledged_on", _l("保密承诺日期"), DAY),
        Field("trained_on", _l("最近培训日期"), DAY, hint=_l("最近一次参加保密教育培训的日期")),
        Field("left_on", _l("离岗离职日期"), DAY),
        Field("declear_until", _l("脱密期截止日期"), DAY),
        Field("released_on", _l("解脱日期"), DAY, hint=_l("脱密期满、办理解脱手续的日期")),
        Field("exit_approvals", _l("出境审批"), LONG, limit=500,
              hint=_l("出国（境）审批的日期和批件，如：2026-05-10 赴港 审批表")),
    ),
    listed=("post", "person_class", "trained_on", "left_on", "declear_until"), searched=("name", "post"),
    measure=_l("名"), states=labels.PERSON_STATE_LABELS, checks=_person_checks)


def _carrier_checks(values: dict, today: date) -> list[Problem]:
    problems = _not_after(values, today, "received_on", "copied_on", "reviewed_on", "destroyed_on")
    destroyed = values.get("state") == "destroyed"
    if destroyed and not values.get("destroyed_on"):
        problems.append(("destroyed_on", _("已销毁的载体须填销毁日期")))
    if values.get("destroyed_on") and not destroyed:
        problems.append(("state", _("填了销毁日期，状态应为已销毁")))
    if values.get("source") == "copied" and not values.get("copied_on"):
        problems.append(("copied_on", _("复制件须填复制日期")))
    problems += _not_before(values, "destroyed_on", "received_on", _("销毁日期不能早于收到日期"))
    return problems


CARRIERS = Register(
    key=RegisterKind.CARRIERS, model=SecretCarrier, title_field="title",
    fields=(
        NUMBER,
        Field("title", _l("名称"), required=True, limit=200, hint=_l("文件标题或介质名称；不得录入涉密内容")),
        Field("kind", _l("载体类型"), CHOICE, required=True, choices=labels.CARRIER_KIND_LABELS),
        Field("level", _l("密级"), CHOICE, required=True, choices=labels.LEVEL_LABELS),
        Field("source", _l("来源"), CHOICE, required=True, choices=labels.CARRIER_SOURCE_LABELS),
        Field("holder", _l("保管人"), required=True, limit=64),
        Field("received_on", _l("收到或制作日期"), DAY),
        Field("copied_on", _l("复制日期"), DAY),
        Field("secret_until", _l("保密期限至"), DAY, hint=_l("保密期限届满的日期")),
        Field("reviewed_on", _l("最近审核日期"), DAY, hint=_l("最近一次解密审核的日期")),
        Field("destroyed_on", _l("销毁日期"), DAY),
        Field("state", _l("状态"), CHOICE, required=True, choices=labels.CARRIER_STATE_LABELS),
    ),
    listed=("kind", "level", "holder", "secret_until", "state"), searched=("title", "holder"), measure=_l("份"),
    states=labels.CARRIER_STATE_LABELS, checks=_carrier_checks)


DEVICES = Register(
    key=RegisterKind.DEVICES, model=SecretDevice, title_field="location",
    fields=(
        Field("number", _l("资产编号"), required=True, limit=40, hint=NUMBER.hint),
        Field("kind", _l("设备类型"), CHOICE, required=True, choices=labels.DEVICE_KIND_LABELS),
        Field("level", _l("密级"), CHOICE, required=True, choices=labels.LEVEL_LABELS),
        Field("location", _l("放置地点"), required=True),
        Field("responsible", _l("责任人"), required=True, limit=64),
        Field("dedicated", _l("专机专用"), FLAG, required=True),
        Field("red_black_power", _l("红黑电源"), MAYBE),
        Field("video_jammer", _l("视频干扰器"), MAYBE),
        Field("state", _l("状态"), CHOICE, required=True, choices=labels.DEVICE_STATE_LABELS),
    ),
    listed=("kind", "level", "responsible", "dedicated", "state"), searched=("location", "responsible"),
    measure=_l("台"), states=labels.DEVICE_STATE_LABELS)


def _classifier_checks(values: dict, today: date) -> list[Problem]:
    return (_not_after(values, today, "appointed_on", "dismissed_on")
            + _not_before(values, "dismissed_on", "appointed_on", _("免去日期不能早于指定日期")))


CLASSIFIERS = Register(
    key=RegisterKind.CLASSIFIERS, model=Classifier, title_field="name",
    fields=(
        NUMBER,
        Field("name", _l("姓名"), required=True, limit=64),
        Field("post", _l("职务"), required=True),
        Field("authority", _l("定密权限"), CHOICE, required=True, choices=labels.LEVEL_LABELS,
              hint=_l("可以确定的最高密级")),
        Field("appointed_by", _l("指定机关或负责人"), required=True),
        Field("appointed_on", _l("指定日期"), DAY),
        Field("dismissed_on", _l("免去日期"), DAY),
    ),
    listed=("post", "authority", "appointed_by", "appointed_on"), searched=("name", "post"), measure=_l("名"),
    checks=_classifier_checks)


def _matter_checks(values: dict, today: date) -> list[Problem]:
    problems = _not_after(values, today, "determined_on")
    longest = MAX_PERIOD_YEARS.get(values.get("level"))
    if values.get("period_years") and longest and values["period_years"] > longest:
        problems.append(("period_years", _("%(level)s事项的保密期限不超过 %(n)d 年（保守国家秘密法第二十条）",
                                           level=labels.label(labels.LEVEL_LABELS, values["level"]), n=longest)))
    problems += _not_before(values, "declassify_on", "determined_on", _("解密时间不能早于定密日期"))
    return problems


MATTERS = Register(
    key=RegisterKind.MATTERS, model=SecretMatter, title_field="title",
    fields=(
        NUMBER,
        Field("title", _l("事项名称"), required=True, limit=200, hint=_l("只写事项名称，不得录入秘密内容")),
        Field("level", _l("密级"), CHOICE, required=True, choices=labels.LEVEL_LABELS),
        Field("period_years", _l("保密期限（年）"), YEARS),
        Field("scope", _l("知悉范围"), LONG, required=True, limit=500),
        Field("basis", _l("定密依据"), LONG, limit=500, hint=_l("保密事项范围的名称和条目")),
        Field("classifier", _l("定密责任人"), limit=64),
        Field("determined_on", _l("定密日期"), DAY),
        Field("declassify_on", _l("解密时间"), DAY),
        Field("review_on", _l("审核日期"), DAY, hint=_l("下一次审核的日期")),
        Field("state", _l("状态"), CHOICE, required=True, choices=labels.MATTER_STATE_LABELS),
    ),
    listed=("level", "period_years", "classifier", "review_on", "state"), searched=("title", "basis"),
    measure=_l("项"), states=labels.MATTER_STATE_LABELS, checks=_matter_checks)


KEY_PLACES = Register(
    key=RegisterKind.KEY_PLACES, model=KeyPlace, title_field="name",
    fields=(
        NUMBER,
        Field("name", _l("名称"), required=True),
        Field("kind", _l("类别"), CHOICE, required=True, choices=labels.PLACE_KIND_LABELS),
        Field("responsible", _l("负责人"), limit=64),
        Field("confirmed_on", _l("确认日期"), DAY, hint=_l("保密行政管理部门确认的日期")),
        Field("confirmed_by", _l("确认文件")),
        Field("measures", _l("防护措施"), LONG, limit=1000),
    ),
    listed=("kind", "responsible", "confirmed_on"), searched=("name", "responsible"), measure=_l("个"),
    checks=lambda values, today: _not_after(values, today, "confirmed_on"))


REGISTERS: dict[str, Register] = {r.key: r for r in (PERSONNEL, CARRIERS, DEVICES, CLASSIFIERS, MATTERS, KEY_PLACES)}
