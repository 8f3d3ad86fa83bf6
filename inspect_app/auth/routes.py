from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from .. import authz
from ..extensions import db, limiter
from ..security import current_user, public, safe_next
from ..services import DomainError, accounts, demo
from ..services.accounts import LoginOutcome, security_settings, sessions
from . import bp
from .forms import ChangePasswordForm, LoginForm


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def login():
    next_path = safe_next(request.args.get("next"))
    if current_user:
        return redirect(next_path or url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user, outcome = accounts.authenticate(db.session, form.username.data, form.password.data,
                                              request.remote_addr)
        if outcome is LoginOutcome.OK:
            language = session.get("lang")
            session.clear()  # a new session id and a new CSRF token at every login
            session.permanent = True
            session["sid"] = sessions.start_session(
                db.session, user, ip=request.remote_addr, user_agent=request.user_agent.string
            )
            if language:
                session["lang"] = language
            g.user = user
            return redirect(next_path or url_for("main.index"))
        if outcome is LoginOutcome.LOCKED:
            message = _("从这台设备用此用户名登录失败次数过多，已暂停 %(m)d 分钟。请稍后再试，或联系系统管理员。",
                        m=security_settings.value(db.session, "LOGIN_LOCK_MINUTES"))
            flash(message, "error")
        elif outcome is LoginOutcome.INACTIVE:
            flash(_("该账户已停用，请联系系统管理员。"), "error")
        else:
            flash(_("用户名或密码不正确。"), "error")
    # In demo mode only: the accounts a visitor can try, so nobody has to look them up.
    demo_accounts = demo.login_accounts(db.session) if current_app.config["INSPECT_DEMO"] else []
    return render_template("auth/login.html", form=form, next=next_path, demo_accounts=demo_accounts,
                           demo_password=demo.DEMO_PASSWORD)


@bp.route("/logout", methods=["POST"])
@authz.requires("signed_in")
def logout():
    accounts.record_logout(db.session, current_user)
    sessions.end_session(db.session, g.user_session, "logout")
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    flash(_("您已安全退出。"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@authz.requires("signed_in")
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(db.session, current_user, form.current_password.data, form.password.data)
        except DomainError as exc:
            getattr(form, exc.field or "password").errors.append(exc.message)
        else:
            flash(_("密码已修改。"), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form,
                           min_length=security_settings.value(db.session, "PASSWORD_MIN_LENGTH"))
