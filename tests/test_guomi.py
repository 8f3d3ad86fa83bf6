"""国密 where it shows: issued documents signed with the bureau's SM2 key and checked by report verify and /verify,
attachments sealed with SM4-GCM, the keys outside the database (made once in demo mode, required in production),
rotated and rekeyed from the command line, and carried by backups."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from inspect_app import create_app, keys, storage
from inspect_app.config import ConfigurationError
from inspect_app.extensions import db
from inspect_app.models import AuditRecord, Document
from inspect_app.pdf import signature
from inspect_app.services import attachments

from . import factories as f
from .helpers import user


@pytest.fixture
def notice_pdf(demo, app, tmp_path) -> tuple[Path, Document]:
    inspection, _ = f.submitted_inspection("DH-ZFB")
    notice = f.make_notice(inspection)
    out = tmp_path / "notice.pdf"
    result = app.test_cli_runner().invoke(args=["report", "notice", str(notice.id), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, db.session.scalar(select(Document).where(Document.kind == "notice"))


def verify(app, path: Path):
    return app.test_cli_runner().invoke(args=["report", "verify", str(path)])


def test_an_issued_document_carries_the_bureaus_sm2_signature(app, notice_pdf):
    path, document = notice_pdf
    key = app.config["SIGNING_KEYS"].current
    assert document.signature_key_id == key.public.key_id
    data = path.read_bytes()
    assert f"/SM2KeyId ({key.public.key_id})".encode() in data
    assert signature.check(data, app.config["SIGNING_KEYS"].public).genuine
    result = verify(app, path)
    assert result.exit_code == 0, result.output
    assert f"GENUINE: signed with the bureau's SM2 key {key.public.key_id}" in result.output
    assert "CURRENT" in result.output and "identical to the copy the system issued" in result.output
    # Still a PDF every reader opens as rendered, with its code where the readers look.
    assert subprocess.run(["pdfinfo", str(path)], capture_output=True).returncode == 0
    assert f"验证码：{document.verification_code}" in subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True).stdout.replace(" ", "")


@pytest.mark.db_independent
@pytest.mark.parametrize("where", ["content", "signed_entries", "signature", "appended"])
def test_a_document_altered_by_one_byte_is_not_genuine(app, notice_pdf, tmp_path, where):
    path, _ = notice_pdf
    data = bytearray(path.read_bytes())
    signed_length = int(re.search(rb"/SM2SignedLength (\d+)", data)[1])
    at = {"content": signed_length // 2, "signed_entries": data.index(b"/SM2Algorithm") + 5,
          "signature": data.index(b"/SM2Signature <") + 20}.get(where)
    if at is None:
        data += b"\n"
    else:
        data[at] = data[at] ^ 0x01 if chr(data[at] ^ 0x01).isalnum() or where == "content" else data[at] ^ 0x02
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(bytes(data))
    result = verify(app, altered)
    assert result.exit_code == 3, result.output
    assert "NOT GENUINE" in result.output


@pytest.mark.db_independent
def test_a_copy_with_its_signature_stripped_is_not_genuine(app, notice_pdf, tmp_path):
    path, _ = notice_pdf
    data = path.read_bytes()
    stripped = tmp_path / "stripped.pdf"
    stripped.write_bytes(data[: int(re.search(rb"/SM2SignedLength (\d+)", data)[1])])
    result = verify(app, stripped)
    assert result.exit_code == 3
    assert "issued signed, and this copy carries no signature" in result.output


@pytest.mark.db_independent
def test_a_document_signed_by_another_key_is_not_genuine(app, notice_pdf, tmp_path):
    """Someone with a key of their own re-signs an edited copy: the signature holds, the key is not the bureau's."""
    path, _ = notice_pdf
    data = path.read_bytes()
    original = data[: int(re.search(rb"/SM2SignedLength (\d+)", data)[1])].replace(b"/Producer", b"/Producex")
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(signature.sign(original, b"<</Title (x)>>", keys.smcrypto.PrivateKey.generate()))
    result = verify(app, forged)
    assert result.exit_code == 3
    assert "NOT GENUINE: signed by a key this system does not trust" in result.output


def same_data(app) -> dict:
    return {k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "ATTACHMENTS_DIR")}


def test_documents_from_before_signing_read_as_not_signed_not_as_forged(app, make_app, notice_pdf, tmp_path):
    _path, document = notice_pdf
    unsigned_app = make_app({"DOCUMENT_SIGNING": False, **same_data(app)})
    with unsigned_app.app_context():
        db.session.execute(Document.__table__.update().values(signature_key_id=None))
        db.session.commit()
        notice_id = db.session.get(Document, document.id).object_id
        db.session.execute(Document.__table__.delete())
        db.session.commit()
        out = tmp_path / "unsigned.pdf"
        runner = unsigned_app.test_cli_runner()
        assert runner.invoke(args=["report", "notice", str(notice_id), "--out", str(out)]).exit_code == 0
        assert b"/SM2Signature" not in out.read_bytes()
        result = runner.invoke(args=["report", "verify", str(out)])
    assert result.exit_code == 0, result.output
    assert "NOT SIGNED" in result.output and "CURRENT" in result.output


def test_after_rotation_old_documents_still_verify_and_new_ones_use_the_new_key(app, make_app, notice_pdf, tmp_path):
    path, _ = notice_pdf
    old = app.config["SIGNING_KEYS"].current.public.key_id
    rotated = app.test_cli_runner().invoke(args=["keys", "rotate-signing-key"])
    assert rotated.exit_code == 0, rotated.output
    restarted = make_app(same_data(app))  # as each app server after a restart
    new = restarted.config["SIGNING_KEYS"].current.public.key_id
    assert new != old and set(restarted.config["SIGNING_KEYS"].trusted) == {old, new}
    with restarted.app_context():
        result = restarted.test_cli_runner().invoke(args=["report", "verify", str(path)])
        assert result.exit_code == 0 and f"key {old}, a retired key" in result.output
        record = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "keys.signing_rotate")).one()
        assert f'"retired":"{old}"' in record.details and f'"current":"{new}"' in record.details
    # Withdrawing trust in a key: its documents no longer verify.
    (Path(restarted.config["SIGNING_KEYS"].directory) / f"{old}.pub").unlink()
    distrusting = make_app(same_data(app))
    with distrusting.app_context():
        assert distrusting.test_cli_runner().invoke(args=["report", "verify", str(path)]).exit_code == 3


def test_the_verify_page_checks_an_uploaded_file(app, notice_pdf, browser_for):
    path, document = notice_pdf
    inspector = browser_for("inspector")
    page = inspector.post("/verify", data={"file": (io.BytesIO(path.read_bytes()), "notice.pdf")},
                          content_type="multipart/form-data")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "真实文件" in text and document.verification_code in text
    altered = path.read_bytes().replace(b"/Producer", b"/Producex", 1)
    text = inspector.post("/verify", data={"file": (io.BytesIO(altered), "notice.pdf")},
                          content_type="multipart/form-data").get_data(as_text=True)
    assert "不是真实文件" in text
    refused = inspector.post("/verify", data={"file": (io.BytesIO(b"hello"), "x.pdf")},
                             content_type="multipart/form-data")
    assert refused.status_code == 422 and "这不是 PDF 文件。" in refused.get_data(as_text=True)
    assert inspector.post("/verify", data={}, content_type="multipart/form-data").status_code == 422
    by_code = inspector.get(f"/verify?code={document.verification_code}").get_data(as_text=True)
    assert f"本局 SM2 签名（密钥 {document.signature_key_id}）" in by_code


# Keys in production -------------------------------------------------------------------------------------------

@pytest.mark.db_independent
def test_production_refuses_to_start_without_the_signing_key_and_says_what_to_set(monkeypatch, tmp_path):
    monkeypatch.setenv("INSPECT_DEMO", "0")
    monkeypatch.setenv("AUDIT_KEY", "k" * 64)
    monkeypatch.delenv("SIGNING_KEY_DIR", raising=False)
    monkeypatch.setenv("INSPECT_INSTANCE", str(tmp_path / "instance"))
    with pytest.raises(ConfigurationError, match=r"no document signing key: .* set SIGNING_KEY_DIR="):
        create_app()
    monkeypatch.setenv("DOCUMENT_SIGNING", "off")
    assert create_app().config["SIGNING_KEYS"] is None
    monkeypatch.delenv("DOCUMENT_SIGNING")
    monkeypatch.setenv("AUDIT_ALGORITHM", "SHA1")
    with pytest.raises(ConfigurationError, match="AUDIT_ALGORITHM is 'SHA1'"):
        create_app()


@pytest.mark.db_independent
def test_the_first_keys_are_made_before_the_app_can_start_and_kept_private(monkeypatch, tmp_path):
    run = [sys.executable, "-m", "inspect_app.keys_cli"]
    root = Path(__file__).parent.parent
    made = subprocess.run([*run, "new-signing-key", "--dir", str(tmp_path / "signing")], cwd=root,
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    assert "fingerprint (SM3 of the public key)" in made.stdout
    assert (tmp_path / "signing" / "signing.key").stat().st_mode & 0o777 == 0o400
    again = subprocess.run([*run, "new-signing-key", "--dir", str(tmp_path / "signing")], cwd=root,
                           capture_output=True, text=True)
    assert again.returncode != 0 and "rotate the key instead" in again.stderr
    made = subprocess.run([*run, "new-attachment-key", "--file", str(tmp_path / "attachment.key")], cwd=root,
                          capture_output=True, text=True)
    assert made.returncode == 0 and (tmp_path / "attachment.key").stat().st_mode & 0o777 == 0o400
    (tmp_path / "attachment.key").chmod(0o644)
    with pytest.raises(keys.KeyFileError, match=r"open to other users \(mode 644\)"):
        keys.load_attachment_keys(tmp_path / "attachment.key")


def test_the_demo_makes_its_keys_once_in_the_instance_folder(app, make_app):
    instance = Path(app.instance_path)
    assert app.config["SIGNING_KEYS"].directory == instance / "signing"
    assert app.config["ATTACHMENT_KEYS"].path == instance / "attachment_key"
    assert (instance / "attachment_key").stat().st_mode & 0o077 == 0
    assert make_app().config["SIGNING_KEYS"].current == app.config["SIGNING_KEYS"].current


# SM4 at rest --------------------------------------------------------------------------------------------------

def test_attachments_are_sealed_on_disk_and_served_as_they_were(app, demo, browser_for):
    inspection = f.make_inspection("DH-ZFB")
    photo_bytes = f.jpeg(640, 480)
    item = next(iter(f.inspections.load_items(db.session, inspection)))
    photo, _ = f.inspections.add_photo(db.session, user("inspector"), inspection, item.id, photo_bytes,
                                    filename="p.jpg", client_uuid=None)
    stored = attachments.path_of(photo.sha256).read_bytes()
    assert stored.startswith(storage.MAGIC) and photo_bytes[100:200] not in stored
    inspector = browser_for("inspector")
    served = inspector.get(f"/inspections/{inspection.id}/photos/{photo.id}")
    assert served.status_code == 200 and served.get_data() == photo_bytes
    thumb = inspector.get(f"/inspections/{inspection.id}/photos/{photo.id}?size=thumb")
    assert thumb.status_code == 200 and thumb.get_data().startswith(b"\xff\xd8")
    assert attachments.thumbnail_path(photo.sha256).read_bytes().startswith(storage.MAGIC)
    # A sealed file swapped in under another file's name does not open.
    other = attachments.path_of("0" * 64)
    other.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(attachments.path_of(photo.sha256), other)
    with pytest.raises(storage.UnreadableFile):
        attachments.read(other)


def test_rotation_and_rekey_move_every_file_to_the_new_key_and_plain_files_get_sealed(app, demo):
    plain = attachments.path_of("ab" * 32)
    plain.parent.mkdir(parents=True, exist_ok=True)
    plain.write_bytes(b"stored before encryption was on")
    sealed = attachments.store(f.png(), allowed={"image/png"})
    old_id = app.config["ATTACHMENT_KEYS"].current_id
    runner = app.test_cli_runner()
    assert runner.invoke(args=["keys", "rotate-attachment-key"]).exit_code == 0
    new_id = app.config["ATTACHMENT_KEYS"].current_id
    assert new_id != old_id
    result = runner.invoke(args=["keys", "rekey-attachments"])
    assert result.exit_code == 0, result.output
    assert f"2 of 2 attachment files sealed under SM4 key {new_id}" in result.output
    for path in (plain, attachments.path_of(sealed.sha256)):
        assert storage.sealed_key_id(path.read_bytes()) == new_id
    assert attachments.read(plain) == b"stored before encryption was on"
    assert "0 of 2" in runner.invoke(args=["keys", "rekey-attachments"]).output
    listing = runner.invoke(args=["keys", "list"]).output
    assert f"attachment key:    {new_id} (current)" in listing and f"{old_id} (retired, kept for reading)" in listing
    assert "audit chain:       HMAC-SM3" in listing


def test_a_backup_of_sealed_attachments_restores_only_where_their_key_is(app, demo, make_app, scratch_database,
                                                                          tmp_path):
    photo = attachments.store(f.jpeg(), allowed={"image/jpeg"})
    backup_file = tmp_path / "backup.tar.gz"
    assert app.test_cli_runner().invoke(args=["backup", "create", "--out", str(backup_file)]).exit_code == 0
    key_id = app.config["ATTACHMENT_KEYS"].current_id

    elsewhere = tmp_path / "other-key"
    keys.create_attachment_key(elsewhere)
    other = make_app({"SQLALCHEMY_DATABASE_URI": scratch_database("restore_a"), "ATTACHMENT_KEY_FILE": str(elsewhere),
                      "ATTACHMENTS_DIR": str(tmp_path / "a")})
    with other.app_context():
        refused = other.test_cli_runner().invoke(args=["backup", "restore", str(backup_file)])
    assert refused.exit_code != 0 and f"sealed under SM4 keys this instance lacks ({key_id})" in refused.output

    same = make_app({"SQLALCHEMY_DATABASE_URI": scratch_database("restore_b"), "ATTACHMENTS_DIR": str(tmp_path / "b")})
    with same.app_context():
        restored = same.test_cli_runner().invoke(args=["backup", "restore", str(backup_file)])
        assert restored.exit_code == 0, restored.output
        assert attachments.read(attachments.path_of(photo.sha256))[:2] == b"\xff\xd8"
