"""What a browser may keep: photos never (a shared tablet's next user would find them), static files for a
year but without a session cookie, and exports with one charset."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from inspect_app.extensions import db
from inspect_app.models import UserSession
from inspect_app.models.base import utcnow
from inspect_app.services import inspections
from inspect_app.templating import static_url

from .factories import jpeg, make_inspection
from .helpers import user


def test_photos_and_their_thumbnails_are_not_kept(demo, browser_for):
    inspection = make_inspection()
    item_id = inspections.load_items(db.session, inspection)[0].id
    photo, _ = inspections.add_photo(db.session, user("inspector"), inspection, item_id, jpeg(), filename="a.jpg",
                                     client_uuid=None)
    inspector = browser_for("inspector")
    base = f"/inspections/{inspection.id}/photos/{photo.id}"
    for url in (base, f"{base}/thumb"):
        response = inspector.get(url)
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert response.headers["Cache-Control"] == "private, no-store", url


def test_static_files_carry_no_session_and_leave_it_untouched(app, demo, browser_for):
    inspector = browser_for("inspector")
    idle = utcnow() - timedelta(minutes=5)  # past the touch interval, within the idle limit
    db.session.execute(UserSession.__table__.update().values(last_seen_at=idle))
    db.session.commit()
    with app.test_request_context():
        url = static_url("css/app.css")
    response = inspector.get(url)
    assert response.status_code == 200 and "max-age=31536000" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers and "Cookie" not in response.headers.get("Vary", "")
    seen = db.session.scalars(select(UserSession.last_seen_at).where(UserSession.revoked_at.is_(None))).all()
    assert seen == [idle]
    page = inspector.get("/dashboard")
    assert page.status_code == 200 and "Set-Cookie" in page.headers  # a page renews both
    assert db.session.scalar(select(UserSession.last_seen_at).where(UserSession.revoked_at.is_(None))) > idle


def test_csv_exports_name_one_charset(demo, browser_for):
    for username, url in (("auditor", "/audit/export.csv"), ("inspector", "/tickets/export.csv")):
        response = browser_for(username).get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8", url
