"""The JSON API the tablets use: its document, idempotent batches, conflicts, uploads and submit."""

import base64
import io
import re
import uuid
from datetime import UTC, datetime

import pytest
from PIL import Image
from sqlalchemy import func, select

from inspect_app.extensions import db
from inspect_app.models import Answer, AnswerRevision, Attachment, Inspection

from .factories import answer, answer_all, jpeg, make_inspection, png
from .helpers import Browser


def item_ids(browser, inspection_id) -> dict[str, int]:
    data = browser.get(f"/api/v1/inspections/{inspection_id}").get_json()
    return {item["key"]: item["id"] for section in data["sections"] for item in section["items"]}


def put(browser, inspection_id, *writes, **kwargs):
    return browser.send_json("PUT", f"/api/v1/inspections/{inspection_id}/answers", {"answers": list(writes)}, **kwargs)


def write(item_id, value, base=0, **fields):
    return {"client_uuid": str(uuid.uuid4()), "item_id": item_id, "base_revision": base, "value": value, **fields}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_openapi_document_describes_every_api_route_and_nothing_else(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = rule.rule
            for argument in rule.arguments:
                path = path.replace(f"<int:{argument}>", "{" + argument + "}")
            routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == routed
    put_answers = doc["paths"]["/api/v1/inspections/{inspection_id}/answers"]["put"]
    schema_ref = put_answers["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert schema_ref.rsplit("/", 1)[1] in doc["components"]["schemas"]
    for ops in doc["paths"].values():
        for op in ops.values():
            for response in op["responses"].values():
                for content in response.get("content", {}).values():
                    name = content["schema"]["$ref"].rsplit("/", 1)[1]
                    assert name in doc["components"]["schemas"]


def test_load_an_inspection(demo, browser_for):
    inspection = make_inspection(templates=["network"])
    answer(inspection, "F1", "compliant")
    data = browser_for("inspector").get(f"/api/v1/inspections/{inspection.id}").get_json()
    assert data["unit"]["name"] == "东湖区人民政府办公室" and data["can_answer"] and data["can_submit"]
    assert sum(len(s["items"]) for s in data["sections"]) == data["progress"]["total"] == 19
    assert data["answers"][0]["value"] == "compliant" and data["answers"][0]["complete"]
    assert browser_for("inspector2").get(f"/api/v1/inspections/{inspection.id}").get_json()["can_answer"] is False


def test_a_batch_is_saved_in_order_and_a_replay_is_a_noop(demo, browser_for):
    inspection = make_inspection()
    browser = browser_for("inspector")
    ids = item_ids(browser, inspection.id)
    batch = [write(ids["F1"], "compliant"), write(ids["F2"], "noncompliant", finding_text="一台机器交替连接"),
             write(ids["F18"], "4")]
    first = put(browser, inspection.id, *batch).get_json()
    assert [r["status"] for r in first["results"]] == ["saved", "saved", "saved"]
    assert first["results"][1]["answer"]["severity"] == "critical"
    assert all(r["answer"]["complete"] for r in first["results"])
    again = put(browser, inspection.id, *batch).get_json()
    assert [r["status"] for r in again["results"]] == ["duplicate"] * 3
    assert count(Answer) == 3 and count(AnswerRevision) == 3


def test_a_write_uuid_counts_within_its_inspection_only(demo, browser_for):
    # Two units in two scopes: 西山县 is outside inspector2's district.
    first = make_inspection("XS-ZFB", lead="inspector")
    second = make_inspection("DH-ZFB", lead="inspector2")
    city, district = browser_for("inspector"), browser_for("inspector2")
    assert district.get(f"/api/v1/inspections/{first.id}").status_code == 404
    first_ids, second_ids = item_ids(city, first.id), item_ids(district, second.id)
    op = write(first_ids["F2"], "noncompliant", finding_text="西山县政府办一台机器交替连接内外网")
    assert put(city, first.id, op).get_json()["results"][0]["status"] == "saved"

    # The same UUID in the other inspection is that inspection's own write, and says nothing of the first.
    reused = put(district, second.id, {**op, "item_id": second_ids["F1"], "value": "compliant",
                                       "finding_text": None})
    assert reused.status_code == 200
    assert "西山县" not in reused.get_data(as_text=True)
    result = reused.get_json()["results"][0]
    assert (result["status"], result["answer"]["item_id"], result["answer"]["value"]) == \
        ("saved", second_ids["F1"], "compliant")
    assert put(district, second.id, {**op, "item_id": second_ids["F1"], "value": "compliant",
                                      "finding_text": None}).get_json()["results"][0]["status"] == "duplicate"

    # Reused within the inspection for another item: the conflict shows that item, not the first one's answer.
    other_item = put(district, second.id, {**op, "item_id": second_ids["F5"], "value": "compliant",
                                           "finding_text": None}).get_json()["results"][0]
    assert (other_item["status"], other_item["answer"]) == ("conflict", None)
    assert db.session.scalar(select(Answer.value).where(Answer.inspection_id == first.id)) == "noncompliant"
    assert count(AnswerRevision) == 2


def test_different_content_under_a_used_uuid_and_stale_edits_are_conflicts(demo, browser_for):
    inspection = make_inspection(members=["inspector2"])
    browser = browser_for("inspector")
    ids = item_ids(browser, inspection.id)
    op = write(ids["F1"], "compliant")
    put(browser, inspection.id, op)
    reused = put(browser, inspection.id, {**op, "value": "noncompliant", "finding_text": "x"}).get_json()["results"][0]
    assert reused["status"] == "conflict"
    other = browser_for("inspector2")
    put(other, inspection.id, write(ids["F1"], "partial", base=1, finding_text="部分机器未查"))
    stale = put(browser, inspection.id, write(ids["F1"], "noncompliant", base=1, finding_text="旧页面")).get_json()
    result = stale["results"][0]
    assert result["status"] == "conflict"
    assert (result["answer"]["value"], result["answer"]["revision"]) == ("partial", 2)
    keep_mine = put(browser, inspection.id, write(ids["F1"], "noncompliant", base=2, finding_text="旧页面")).get_json()
    assert keep_mine["results"][0]["status"] == "saved"


def test_invalid_and_classified_writes_change_nothing_until_fixed_or_confirmed(demo, browser_for):
    inspection = make_inspection()
    browser = browser_for("inspector")
    ids = item_ids(browser, inspection.id)
    marked = write(ids["F4"], "noncompliant", finding_text="抽查发现“秘密★5年”文件存于上网机")
    results = put(browser, inspection.id, write(ids["F1"], "maybe"), marked).get_json()["results"]
    assert results[0]["status"] == "invalid" and results[0]["message"] == "答案无效。"
    assert results[1]["status"] == "needs_confirmation" and results[1]["field"] == "finding_text"
    assert count(Answer) == 0
    confirmed = put(browser, inspection.id, write(ids["F4"], "noncompliant", confirm_unclassified=True,
                                                  finding_text="抽查发现“秘密★5年”文件存于上网机")).get_json()
    assert confirmed["results"][0]["status"] == "saved" and count(Answer) == 1


def test_bad_bodies_get_clear_messages(demo, browser_for):
    inspection = make_inspection()
    browser = browser_for("inspector")
    response = browser.send_json("PUT", f"/api/v1/inspections/{inspection.id}/answers", {"answers": "nope"})
    assert response.status_code == 400 and response.get_json()["error"] == "invalid"
    response = browser.client.put(f"/api/v1/inspections/{inspection.id}/answers", data="{not json",
                                  headers={"X-CSRFToken": browser.token(), "Content-Type": "application/json"})
    assert response.status_code == 400 and "JSON" in response.get_json()["message"]
    response = put(browser, inspection.id, {"client_uuid": "not-a-uuid", "item_id": 1, "base_revision": 0})
    assert response.status_code == 400


def test_the_api_needs_a_session_csrf_and_membership(demo, app, browser_for):
    inspection = make_inspection()
    anonymous = Browser(app)
    assert anonymous.get(f"/api/v1/inspections/{inspection.id}").status_code == 401
    browser = browser_for("inspector")
    ids = item_ids(browser, inspection.id)
    response = put(browser, inspection.id, write(ids["F1"], "compliant"), csrf=False)
    assert response.status_code == 400 and response.get_json()["error"] == "csrf"
    leader = browser_for("leader")
    assert put(leader, inspection.id, write(ids["F1"], "compliant")).status_code == 403
    assert count(Answer) == 0


def test_a_locked_inspection_refuses_writes_with_409(demo, browser_for):
    inspection = make_inspection()
    answer_all(inspection)
    browser = browser_for("inspector")
    signatures = [{"role": role, "signer_name": name, "png_base64": base64.b64encode(png()).decode()}
                  for role, name in (("lead", "王建国"), ("unit", "赵丽华"))]
    submitted = browser.send_json("POST", f"/api/v1/inspections/{inspection.id}/submit", {"signatures": signatures})
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "submitted"
    ids = item_ids(browser, inspection.id)
    response = put(browser, inspection.id, write(ids["F1"], "noncompliant", base=1, finding_text="改"))
    assert response.status_code == 409 and response.get_json()["error"] == "locked"
    again = browser.send_json("POST", f"/api/v1/inspections/{inspection.id}/submit", {"signatures": signatures})
    assert again.status_code == 409


def upload(browser, inspection_id, item_id, data: bytes, name="photo.jpg", client_uuid=None):
    """A multipart upload built by hand: the test client's own encoder is slow for big files."""
    boundary = uuid.uuid4().hex
    parts = []
    for field, value in (("item_id", str(item_id)), ("client_uuid", client_uuid or str(uuid.uuid4()))):
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                 f"Content-Type: image/jpeg\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return browser.client.post(f"/api/v1/inspections/{inspection_id}/photos", data=b"".join(parts),
                               content_type=f"multipart/form-data; boundary={boundary}",
                               headers={"X-CSRFToken": browser.token()})


def test_photos_upload_once_and_are_served_only_in_scope(demo, browser_for):
    inspection = make_inspection()
    browser = browser_for("inspector")
    ids = item_ids(browser, inspection.id)
    op = str(uuid.uuid4())
    photo = jpeg()
    first = upload(browser, inspection.id, ids["F3"], photo, client_uuid=op)
    assert first.status_code == 201
    replay = upload(browser, inspection.id, ids["F3"], photo, client_uuid=op)
    assert replay.status_code == 200 and replay.get_json()["id"] == first.get_json()["id"]
    assert count(Attachment) == 1
    other = upload(browser, inspection.id, ids["F3"], jpeg(colour="red"), client_uuid=op)
    assert other.status_code == 409
    body = first.get_json()
    assert browser.get(body["url"]).get_data() == photo
    thumbnail = browser.get(body["thumbnail_url"])
    assert thumbnail.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(thumbnail.get_data())) as image:  # the 800×600 photo, made to fit 480×480
        assert (image.format, image.size) == ("JPEG", (480, 360))
    assert browser_for("officer2").get(body["url"]).status_code == 404
    removed = browser.send_json("DELETE", f"/api/v1/inspections/{inspection.id}/photos/{body['id']}", None)
    assert removed.status_code == 204
    assert browser.get(f"/api/v1/inspections/{inspection.id}").get_json()["photos"] == []


def test_a_renamed_executable_is_refused(demo, browser_for):
    inspection = make_inspection()
    browser = browser_for("inspector")
    ids = item_ids(browser, inspection.id)
    response = upload(browser, inspection.id, ids["F3"], b"MZ\x90\x00" + b"\x00" * 4000, name="photo.jpg")
    assert response.status_code == 400
    assert "不支持这种文件" in response.get_json()["message"]
    broken = upload(browser, inspection.id, ids["F3"], b"\xff\xd8\xff\xe0" + b"garbage" * 100)
    assert broken.status_code == 400 and "损坏" in broken.get_json()["message"]
    assert count(Attachment) == 0


@pytest.mark.parametrize(("megabytes", "status", "message"), [(30, 413, "20 MB"), (16, 400, "上限为 15 MB")])
def test_oversized_photos_are_refused_with_a_clear_message(demo, browser_for, megabytes, status, message):
    inspection = make_inspection()
    browser = browser_for("inspector")
    ids = item_ids(browser, inspection.id)
    big = b"\xff\xd8\xff\xe0" + b"\x00" * (megabytes * 1024 * 1024)
    response = upload(browser, inspection.id, ids["F3"], big)
    assert response.status_code == status
    assert message in response.get_json()["message"]
    assert count(Attachment) == 0


def test_submit_through_the_api_validates_signatures(demo, browser_for):
    inspection = make_inspection()
    answer_all(inspection, failing={"F3": "noncompliant"})
    browser = browser_for("inspector")
    bad = browser.send_json("POST", f"/api/v1/inspections/{inspection.id}/submit", {"signatures": [
        {"role": "lead", "signer_name": "王建国", "png_base64": "!!!!not base64!!!!"},
        {"role": "unit", "signer_name": "赵丽华", "png_base64": "!!!!not base64!!!!"}]})
    assert bad.status_code == 400
    not_png = browser.send_json("POST", f"/api/v1/inspections/{inspection.id}/submit", {"signatures": [
        {"role": "lead", "signer_name": "王建国", "png_base64": base64.b64encode(jpeg()).decode()},
        {"role": "unit", "signer_name": "赵丽华", "png_base64": base64.b64encode(jpeg()).decode()}]})
    assert not_png.status_code == 400
    assert db.session.get(Inspection, inspection.id).status == "in_progress"


def test_a_nul_character_in_json_is_refused_not_stored(demo, browser_for):
    inspection = make_inspection()
    browser = browser_for("inspector")
    ids = item_ids(browser, inspection.id)
    response = put(browser, inspection.id, write(ids["F1"], "compliant", note="a\u0000b"))
    assert response.status_code == 400 and count(Answer) == 0


OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def test_every_api_timestamp_names_its_offset(demo, browser_for):
    inspection = make_inspection()
    browser = browser_for("inspector")
    ids = item_ids(browser, inspection.id)
    saved = put(browser, inspection.id, write(ids["F1"], "compliant")).get_json()["results"][0]["answer"]
    loaded = browser.get(f"/api/v1/inspections/{inspection.id}").get_json()["answers"][0]
    stored = db.session.scalar(select(Answer.answered_at))
    for stamp in (saved["answered_at"], loaded["answered_at"]):
        assert OFFSET.match(stamp), stamp
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        assert moment == stored.replace(tzinfo=UTC)  # the stored UTC instant, said as such


def api_operations(browser) -> list[tuple[str, str]]:
    doc = browser.get("/api/v1/openapi.json").get_json()
    return [(method.upper(), re.sub(r"\{\w+\}", "1", path)) for path, ops in doc["paths"].items() for method in ops]


def test_without_a_session_every_api_operation_answers_401_before_looking_for_a_csrf_token(demo, app):
    anonymous = Browser(app)
    operations = [op for op in api_operations(anonymous) if op[1] != "/api/v1/openapi.json"]
    assert {method for method, _path in operations} == {"GET", "PUT", "POST", "DELETE"}
    for method, path in operations:
        response = anonymous.client.open(path, method=method, json={})  # no session, no X-CSRFToken
        assert (response.status_code, response.get_json()["error"]) == (401, "login_required"), (method, path)


def test_every_405_says_what_is_allowed(demo, app, browser_for):
    browser = browser_for("inspector")
    for method in ("TRACE", "PATCH", "POST"):
        for path in ("/api/v1/csrf", "/api/v1/openapi.json", "/dashboard"):
            response = browser.client.open(path, method=method)
            assert response.status_code == 405, (method, path)
            assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}, (method, path)
    answers = browser.client.open("/api/v1/inspections/1/answers", method="TRACE")
    assert answers.status_code == 405 and set(answers.headers["Allow"].split(", ")) == {"PUT", "OPTIONS"}


def test_the_api_refuses_what_its_document_refuses_and_says_who_may(demo, browser_for):
    doc = browser_for().get("/api/v1/openapi.json").get_json()
    photos = doc["paths"]["/api/v1/inspections/{inspection_id}/photos"]["post"]
    form = photos["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["additionalProperties"] is False and "pattern" in form["properties"]["client_uuid"]
    assert photos["parameters"][0]["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}

    inspection = make_inspection(members=["inspector2"])
    browser = browser_for("inspector")
    ids = item_ids(browser, inspection.id)
    not_a_uuid = upload(browser, inspection.id, ids["F3"], jpeg(), client_uuid="g" + str(uuid.uuid4())[1:])
    assert not_a_uuid.status_code == 400
    boundary = uuid.uuid4().hex
    extra = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                     for name, value in (("item_id", ids["F3"]), ("client_uuid", uuid.uuid4()), ("caption", "x")))
    response = browser.client.post(f"/api/v1/inspections/{inspection.id}/photos", headers={
        "X-CSRFToken": browser.token()}, content_type=f"multipart/form-data; boundary={boundary}",
        data=extra + f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n'
        .encode() + jpeg() + f"\r\n--{boundary}--\r\n".encode())
    assert response.status_code == 400 and "caption" in response.get_json()["message"]
    # Someone outside the team may look but not photograph: 403, as for answers.
    leader = browser_for("leader")
    refused = upload(leader, inspection.id, ids["F3"], jpeg())
    assert (refused.status_code, refused.get_json()["error"]) == (403, "forbidden")
    assert count(Attachment) == 0
    # Submitting: the lead alone (403 for a member), and only once everything is answered (409: the state).
    signatures = [{"role": role, "signer_name": name, "png_base64": base64.b64encode(png()).decode()}
                  for role, name in (("lead", "王建国"), ("unit", "赵丽华"))]
    member = browser_for("inspector2")
    submit = f"/api/v1/inspections/{inspection.id}/submit"
    assert member.send_json("POST", submit, {"signatures": signatures}).status_code == 403
    incomplete = browser.send_json("POST", submit, {"signatures": signatures})
    assert (incomplete.status_code, incomplete.get_json()["error"]) == (409, "conflict")
    assert "未完成" in incomplete.get_json()["message"]
