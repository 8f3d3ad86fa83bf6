"""Error pages and JSON errors: a clear message in the user's language, never a stack trace."""

from __future__ import annotations

from flask import Flask, jsonify, make_response, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db
from .problems import is_api_request, problem
from .security import wants_json
from .services import DomainError


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("请求有误"), _("提交的内容无法处理，请检查后重试。")),
        403: (_("没有权限"), _("您的账户无权进行此操作。如有需要，请联系系统管理员。")),
        404: (_("页面不存在"), _("您要找的页面不存在，或不在您的查看范围内。")),
        405: (_("操作方式有误"), _("此页面不支持这种操作。")),
        409: (_("内容已变更"), _("这条记录已被他人修改，请刷新后再试。")),
        413: (_("文件过大"), _("上传的内容超过了系统上限，请压缩或拆分后再传。")),
        429: (_("操作过于频繁"), _("请稍候一分钟再试。")),
        500: (_("系统出错"), _("系统暂时无法完成此操作，已记录错误。您填写的内容没有丢失，请稍后重试。")),
    }


def _respond(code: int, message: str | None = None, error: str | None = None):
    title, default = _messages().get(code, _messages()[500])
    message = message or default
    if is_api_request():
        return problem(code, error or str(code), message)
    if wants_json():
        return jsonify(error=error or str(code), message=message), code
    return render_template("errors/error.html", code=code, title=title, message=message), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_exc):
        return _respond(400, _("页面已过期或来源不明，请刷新页面后重新提交。"), error="csrf")

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        error = {403: "forbidden", 409: "conflict", 422: "needs_confirmation"}.get(exc.status_code, "invalid")
        return _respond(exc.status_code, exc.message, error=error)

    @app.errorhandler(413)
    def too_large(_exc):
        limit = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        return _respond(413, _("上传的内容超过了 %(mb)d MB 的上限，请压缩或拆分后再传。", mb=limit), error="too_large")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code in (301, 302, 303, 307, 308):
            return exc
        response = make_response(_respond(exc.code or 500))
        # What the exception says besides its body: Allow on a 405, above all.
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error")
        return _respond(500)
