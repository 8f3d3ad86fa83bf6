"""The main pages of every demo role, and what a finger needs of them: the tap targets measured in the page.

A page is a path, or a path to find by following the first link that matches on another page (the demo's
ids are not fixed). Shared by the tablet tests and by anyone taking screenshots by hand.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MainPage:
    name: str
    path: str  # a path, or the page to look for a link on when `link` is set
    link: str | None = None  # a pattern of the address to follow from the first link on `path` that matches it
    then: str = ""  # added to the address found


def _pages(*entries: tuple) -> list[MainPage]:
    return [MainPage(*entry) for entry in entries]


_BUREAU_COMMON = (
    ("工作台", "/dashboard"),
    ("检查列表", "/inspections/"),
    ("检查日历", "/inspections/calendar"),
    ("检查详情", "/inspections/?status=issued", r"^/inspections/\d+$"),
    ("整改事项", "/tickets"),
    ("整改事项详情", "/tickets/all", r"^/tickets/\d+$"),
    ("问题清单", "/tickets/findings"),
    ("逾期事项", "/tickets/overdue"),
    ("泄密事件", "/incidents"),
    ("泄密事件详情", "/incidents", r"^/incidents/\d+$"),
    ("单位列表", "/units"),
    ("单位档案", "/units", r"^/units/\d+$"),
    ("检查表", "/checklists"),
    ("检查表详情", "/checklists", r"^/checklists/[\w-]+$"),
    ("检查表搜索", "/checklists/search?q=%E5%AF%86%E7%A0%81"),
    ("文件核验", "/verify"),
    ("通知", "/notifications"),
    ("台账", "/registers"),
    ("单位台账", "/registers", r"^/registers/units/\d+$"),
)

MAIN_PAGES: dict[str, list[MainPage]] = {
    "inspector": _pages(
        *_BUREAU_COMMON,
        ("新建检查", "/inspections/new"),
        ("登记事件", "/incidents/new"),
        ("年度考核", "/appraisals"),
        ("新建考核", "/appraisals/new"),
        ("考核排名", "/appraisals", r"^/appraisals/\d+$"),
        ("现场检查", "/inspections/?status=in_progress", r"^/inspections/\d+$"),
        ("现场填写", "/inspections/?status=in_progress", r"^/inspections/\d+$", "/fill"),
    ),
    "leader": _pages(
        *_BUREAU_COMMON,
        ("工作台·单位", "/dashboard/units"),
        ("工作台·问题", "/dashboard/findings"),
        ("工作台·整改", "/dashboard/tickets"),
        ("工作台·检查", "/dashboard/inspections"),
        ("工作台·差距", "/dashboard/gap"),
        ("年度考核", "/appraisals"),
        ("考核排名", "/appraisals", r"^/appraisals/\d+$"),
    ),
    "officer": _pages(
        ("工作台", "/dashboard"),
        ("检查列表", "/inspections/"),
        ("检查详情", "/inspections/", r"^/inspections/\d+$"),
        ("整改事项", "/tickets"),
        ("整改事项详情", "/tickets", r"^/tickets/\d+$"),
        ("泄密事件", "/incidents"),
        ("泄密事件详情", "/incidents", r"^/incidents/\d+$"),
        ("报告事件", "/incidents/new"),
        ("检查表", "/checklists"),
        ("文件核验", "/verify"),
        ("通知", "/notifications"),
        ("台账", "/registers"),
        ("台账条目列表", "/registers", r"^/registers/units/\d+/carriers$"),
        ("台账条目", "/registers", r"^/registers/carriers/\d+$"),
        ("新增台账条目", "/registers", r"^/registers/units/\d+/personnel/new$"),
        ("导入台账", "/registers", r"^/registers/units/\d+/devices/import$"),
        ("考核", "/appraisals"),
        ("本单位考核结果", "/appraisals", r"^/appraisals/\d+/units/\d+$"),
    ),
    "admin": _pages(
        ("机构", "/admin/org"),
        ("新建机构", "/admin/org/new"),
        ("编辑机构", "/admin/org", r"^/admin/org/\d+$"),
        ("导入单位", "/admin/org/import"),
        ("账户", "/admin/users"),
        ("新建账户", "/admin/users/new"),
        ("编辑账户", "/admin/users", r"^/admin/users/\d+$"),
        ("检查表管理", "/admin/checklists"),
        ("检查表", "/checklists"),
        ("修改密码", "/password"),
    ),
    "secadmin": _pages(
        ("权限", "/rights/users"),
        ("账户权限", "/rights/users", r"^/rights/users/\d+$"),
        ("审计员操作", "/rights/auditors"),
        ("安全设置", "/rights/settings"),
        ("通知", "/notifications"),
    ),
    "auditor": _pages(
        ("审计", "/audit/"),
    ),
}

ANONYMOUS_PAGES = _pages(("登录", "/login"))

# Measures every link, button and input that can be seen; a box under 44×44 px is reported with a name a
# person can find on the page. A checkbox, radio or file input counts with the label around it (that is
# what takes the tap). Links inside running text are reported apart (`inline`), since they are the one
# exception the test allows, by name.
MEASURE = """
() => {
  const MIN = 44;
  const seen = (el) => {
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none") return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && !el.closest("[hidden], [inert], .visually-hidden");
  };
  const nameOf = (el) => {
    const text = (el.getAttribute("aria-label") || el.innerText || el.value || el.getAttribute("placeholder")
                  || el.getAttribute("name") || el.getAttribute("title") || "").trim().replace(/\\s+/g, " ");
    const tag = el.tagName.toLowerCase() + (el.type && el.tagName !== "A" ? `[${el.type}]` : "");
    const cls = typeof el.className === "string" && el.className.trim()
      ? "." + el.className.trim().split(/\\s+/).join(".") : "";
    return `${tag}${cls} "${text.slice(0, 40)}"`;
  };
  const box = (el) => {
    let r = el.getBoundingClientRect();
    const label = el.closest("label") || (el.labels && el.labels[0]);
    if (label && ["checkbox", "radio", "file"].includes(el.type)) {
      const l = label.getBoundingClientRect();
      if (l.width > 0) {
        const left = Math.min(r.left, l.left), top = Math.min(r.top, l.top);
        r = { width: Math.max(r.right, l.right) - left, height: Math.max(r.bottom, l.bottom) - top };
      }
    }
    return r;
  };
  const inline = (el) => {
    if (el.tagName !== "A" || getComputedStyle(el).display !== "inline") return false;
    const parent = el.parentElement;
    const text = [...parent.childNodes].filter((n) => n !== el).map((n) => n.textContent).join("").trim();
    return text.length > 0 && ["P", "LI", "DD", "SPAN", "TD"].includes(parent.tagName);
  };
  const small = [], inlineSmall = [];
  const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], "
    + "[tabindex='0']";
  for (const el of document.querySelectorAll(selector)) {
    if (["file", "checkbox", "radio"].includes(el.type) ? !seen(el.closest("label") || el) : !seen(el)) continue;
    if (el.closest(".skip-link")) continue;
    const r = box(el);
    if (r.width + 0.5 >= MIN && r.height + 0.5 >= MIN) continue;
    const entry = `${nameOf(el)} ${Math.round(r.width)}×${Math.round(r.height)}`;
    (inline(el) ? inlineSmall : small).push(entry);
  }
  return { small, inline: inlineSmall };
}
"""
