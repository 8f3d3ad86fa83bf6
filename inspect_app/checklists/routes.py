"""The checklist library: browse, read any version, compare two versions, search; the admin's versions page.

Routes carry full paths (the blueprint has no prefix): /checklists/… for readers, /admin/checklists/… for the admin.
"""

import json
import re
from dataclasses import dataclass, field

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import authz
from ..extensions import db
from ..formatting import field_changes
from ..i18n import localized
from ..labels import CATEGORY_LABELS
from ..models import ChecklistTemplate
from ..security import current_user
from ..services import DomainError, checklists
from ..services.checklists import MAX_UPLOAD_BYTES, UploadRejected, legal_texts
from . import bp
from .forms import UploadTemplateForm, VersionStatusForm


def _template_or_404(key: str) -> ChecklistTemplate:
    template = checklists.get_template(db.session, key)
    if template is None or not template.versions:
        abort(404)
    return template


@bp.route("/checklists", endpoint="index")
@authz.requires("checklist.read")
def index():
    everything = checklists.current_versions(db.session)
    category = request.args.get("category", "")
    if category not in CATEGORY_LABELS:
        category = ""
    versions = [v for v in everything if v.category == category] if category else everything
    counts = {c: sum(1 for v in everything if v.category == c) for c in CATEGORY_LABELS}
    return render_template(
        "checklists/index.html", versions=versions, category=category, counts=counts, total=len(everything),
        tallies=checklists.item_tallies(db.session, [v.id for v in versions]),
    )


@bp.route("/checklists/search", endpoint="search")
@authz.requires("checklist.read")
def search():
    query = request.args.get("q", "").strip()[: checklists.MAX_QUERY_LENGTH]
    result = checklists.search_library(db.session, query) if query else None
    return render_template("checklists/search.html", query=query, result=result)


def _render_version(template: ChecklistTemplate, version):
    return render_template(
        "checklists/version.html", template=template, version=version, current=checklists.current_version(template),
        sections=checklists.load_sections(db.session, version),
        tally=checklists.item_tallies(db.session, [version.id])[version.id],
    )


@bp.route("/checklists/<key>", endpoint="template")
@authz.requires("checklist.read")
def template_page(key: str):
    template = _template_or_404(key)
    return _render_version(template, checklists.reading_version(template))


@bp.route("/checklists/<key>/versions/<int:number>", endpoint="version")
@authz.requires("checklist.read")
def version_page(key: str, number: int):
    template = _template_or_404(key)
    version = checklists.get_version(db.session, template, number)
    if version is None:
        abort(404)
    return _render_version(template, version)


def _version_arg(name: str) -> int | None:
    """A version number from the query string; None when absent. Anything else is refused in words."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"[0-9]{1,12}", raw):
        raise DomainError(_("“%(value)s”不是有效的版本号，请从列表中选择版本。", value=raw[:20]))
    return int(raw)


@bp.route("/checklists/<key>/diff", endpoint="diff")
@authz.requires("checklist.read")
def diff(key: str):
    template = _template_or_404(key)
    context = {"template": template, "old": None, "new": None, "diff": None, "error": None, "pick_old": None,
               "pick_new": None}
    if len(template.versions) < 2:
        context["error"] = _("此检查表只有一个版本，没有可比较的版本。")
        return render_template("checklists/diff.html", **context)
    try:
        old, new = checklists.versions_to_compare(template, _version_arg("from"), _version_arg("to"))
    except DomainError as exc:
        # The form offers the usual pair (previous → current) to try again.
        old, new = checklists.versions_to_compare(template, None, None)
        context.update(error=exc.message, pick_old=old, pick_new=new)
        return render_template("checklists/diff.html", **context), 400
    context.update(old=old, new=new, pick_old=old, pick_new=new)
    if old.id != new.id:
        changes = checklists.diff_versions(old, new)
        context.update(
            diff=changes,
            template_changes=field_changes(json.loads(old.content), json.loads(new.content), changes.template_fields),
            item_changes=[(c, field_changes(c.old, c.new, c.fields)) for c in changes.changed],
        )
    return render_template("checklists/diff.html", **context)


# Administration ----------------------------------------------------------------------------------


@bp.route("/admin/checklists", methods=["GET", "POST"], endpoint="manage")
@authz.requires("checklist.manage")
def manage():
    form = UploadTemplateForm()
    rejected: UploadRejected | None = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            # One byte past the limit is enough to refuse it; the rest is never read.
            version = checklists.upload_template(db.session, current_user, upload.filename or "",
                                                 upload.read(MAX_UPLOAD_BYTES + 1))
        except UploadRejected as exc:
            rejected = exc
        except DomainError as exc:
            form.file.errors.append(exc.message)
        else:
            flash(_("已保存“%(title)s”第 %(v)d 版。", title=localized(version, "title"), v=version.version), "success")
            return redirect(url_for("checklists.manage", _anchor=f"template-{version.key}"))
    status = 400 if rejected or form.errors else 200
    templates = checklists.all_templates(db.session)
    return render_template("checklists/manage.html", form=form, rejected=rejected, templates=templates,
                           currents={t.id: checklists.current_version(t) for t in templates},
                           impact=_impact(), legal_texts=_texts_to_choose()), status


@dataclass
class Impact:
    law: str
    article: int | None
    text: legal_texts.LegalText | None = None
    found: list = field(default_factory=list)
    error: str | None = None


def _texts_to_choose() -> list[legal_texts.LegalText]:
    """Every text of the register once, by its newest version."""
    newest: dict[str, legal_texts.LegalText] = {}
    for text in sorted(legal_texts.register().texts, key=lambda t: t.year or 0):
        newest[text.key] = text
    return list(newest.values())


def _impact() -> Impact | None:
    """Which items cite the text (and article) asked for in ?law=&article=, for the admin when a law changes."""
    name = request.args.get("law", "").strip()[:100]
    if not name:
        return None
    raw = request.args.get("article", "").strip()[:10]
    key = legal_texts.resolve(name)
    impact = Impact(law=key or name, article=None)
    if key is None:
        impact.error = _("法规库中没有“%(name)s”。", name=name)
        return impact
    if raw:
        if not raw.isdigit() or not 1 <= int(raw) <= 500:
            impact.error = _("条号应为 1 至 500 之间的整数，或者不填。")
            return impact
        impact.article = int(raw)
    impact.text = next(t for t in _texts_to_choose() if t.key == key)
    impact.found = checklists.citing_items(db.session, key, impact.article)
    return impact


@bp.route("/admin/checklists/<key>/versions/<int:number>/status", methods=["POST"], endpoint="set_status")
@authz.requires("checklist.manage")
def set_status(key: str, number: int):
    template = _template_or_404(key)
    version = checklists.get_version(db.session, template, number)
    if version is None:
        abort(404)
    form = VersionStatusForm()
    if form.validate_on_submit():
        retired = form.retired.data
        checklists.set_version_status(db.session, current_user, version, retired)
        title = localized(version, "title")
        if retired:
            flash(_("“%(title)s”第 %(v)d 版已停用。", title=title, v=version.version), "success")
        else:
            flash(_("“%(title)s”第 %(v)d 版已恢复使用。", title=title, v=version.version), "success")
    return redirect(url_for("checklists.manage", _anchor=f"template-{template.key}"))
