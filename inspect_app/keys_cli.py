"""`flask --app wsgi keys …`: the bureau's SM2 signing keys and the SM4 attachment keys (docs/deploy.md, "国密").

The first keys of a production instance are made before the app can start (it refuses to without them), so the
two `new-…` commands also run without it: `.venv/bin/python -m inspect_app.keys_cli new-signing-key --dir DIR`.
Run them as the app's user: the files they write are readable by their owner only.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app, has_app_context
from flask.cli import AppGroup

from . import keys


@click.group("keys", cls=AppGroup)
def keys_group() -> None:
    """国密 keys: the SM2 document-signing key pair and the SM4 attachment keys."""


def _audited(action: str, details: dict) -> None:
    """Key changes go into the audit trail when the app is there to write it (not before its first start)."""
    if not has_app_context():
        return
    from .database import transaction
    from .extensions import db
    from .services import audit

    with transaction(db.session):
        audit.record(db.session, None, action, actor_name="cli", details=details)


def _setting(name: str, given: Path | None) -> Path:
    value = given or (current_app.config.get(name) if has_app_context() else None) or os.environ.get(name)
    if not value:
        raise click.UsageError(f"say where: --dir/--file, or set {name}")
    return Path(value)


@keys_group.command("new-signing-key", with_appcontext=False)
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="The folder for the key pair (default: SIGNING_KEY_DIR).")
def new_signing_key(directory: Path | None) -> None:
    """Make the bureau's first SM2 key pair: the private key (0400) and its public key, in a folder of their own."""
    directory = _setting("SIGNING_KEY_DIR", directory)
    try:
        public = keys.create_signing_key(directory)
    except keys.KeyFileError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"SM2 signing key {public.key_id} made in {directory}")
    click.echo(f"fingerprint (SM3 of the public key): {public.fingerprint}")
    click.echo(f"set SIGNING_KEY_DIR={directory} (and keep a copy of the folder offline)")


@keys_group.command("rotate-signing-key")
def rotate_signing_key() -> None:
    """Replace the SM2 key pair: documents are signed with the new key from the next start of each app server; the
    old private key is destroyed and its public key kept, so documents signed before still verify."""
    if not current_app.config.get("SIGNING_KEYS"):
        raise click.ClickException("documents are not signed here: set SIGNING_KEY_DIR (keys new-signing-key)")
    try:
        old, new = keys.rotate_signing_key(current_app.config["SIGNING_KEYS"].directory)
    except keys.KeyFileError as exc:
        raise click.ClickException(str(exc)) from exc
    _audited("keys.signing_rotate", {"retired": old.key_id, "current": new.key_id, "fingerprint": new.fingerprint})
    click.echo(f"SM2 signing key {new.key_id} is current; {old.key_id} is retired (its public key stays trusted)")
    click.echo(f"fingerprint (SM3 of the public key): {new.fingerprint}")
    click.echo("restart every app server so it signs with the new key")


@keys_group.command("new-attachment-key", with_appcontext=False)
@click.option("--file", "path", type=click.Path(dir_okay=False, path_type=Path),
              help="The key file (default: ATTACHMENT_KEY_FILE).")
def new_attachment_key(path: Path | None) -> None:
    """Make the first SM4 attachment key (a file of mode 0400). Set ATTACHMENT_KEY_FILE to it and restart to store
    new attachments sealed; then `keys rekey-attachments` seals the files stored before."""
    path = _setting("ATTACHMENT_KEY_FILE", path)
    try:
        key_id = keys.create_attachment_key(path)
    except keys.KeyFileError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"SM4 attachment key {key_id} made in {path}")
    click.echo(f"set ATTACHMENT_KEY_FILE={path} (and keep a copy offline: sealed files open only with it)")


@keys_group.command("rotate-attachment-key")
def rotate_attachment_key() -> None:
    """Put a new SM4 key in front of the others in ATTACHMENT_KEY_FILE. The old keys stay to read what was sealed
    under them; restart the app servers, then `keys rekey-attachments` moves every file to the new key."""
    if not current_app.config.get("ATTACHMENT_KEYS"):
        raise click.ClickException("attachments are not encrypted: set ATTACHMENT_KEY_FILE first "
                                   "(keys new-attachment-key)")
    try:
        rotated = keys.add_attachment_key(current_app.config["ATTACHMENT_KEYS"].path)
    except keys.KeyFileError as exc:
        raise click.ClickException(str(exc)) from exc
    current_app.config["ATTACHMENT_KEYS"] = rotated
    _audited("keys.attachment_rotate", {"current": rotated.current_id, "keys": len(rotated.by_id)})
    click.echo(f"SM4 attachment key {rotated.current_id} is current; {len(rotated.by_id) - 1} older kept for reading")
    click.echo("restart every app server, then run `flask --app wsgi keys rekey-attachments`")


@keys_group.command("rekey-attachments")
def rekey_attachments() -> None:
    """Seal every stored attachment under the current SM4 key: files stored as they are (from before encryption)
    and files under an older key. Safe to run again, and while the app serves."""
    from .services import attachments

    try:
        report = attachments.rekey()
    except attachments.NotEncrypted as exc:
        raise click.ClickException(str(exc)) from exc
    _audited("attachments.rekey", {"key_id": report.key_id, "resealed": report.resealed, "files": report.files})
    click.echo(f"{report.resealed} of {report.files} attachment files sealed under SM4 key {report.key_id}; "
               f"the others were under it already")


@keys_group.command("list")
def list_keys() -> None:
    """The keys in use: the audit chain's, the signing keys (current and retired) and the attachment keys."""
    from .services import audit

    config = current_app.config
    click.echo(f"audit chain:       {audit.algorithm()} under the audit key {audit.key_id()}")
    signing = config.get("SIGNING_KEYS")
    if signing is None:
        click.echo("document signing:  off (DOCUMENT_SIGNING=off)")
    else:
        for key_id, public in sorted(signing.trusted.items()):
            state = "current" if key_id == signing.current.public.key_id else "retired"
            click.echo(f"signing key:       {key_id} ({state}) SM2, fingerprint {public.fingerprint}")
    attachment = config.get("ATTACHMENT_KEYS")
    if attachment is None:
        click.echo("attachments:       stored as they are (no ATTACHMENT_KEY_FILE)")
    else:
        for key_id in attachment.by_id:
            state = "current" if key_id == attachment.current_id else "retired, kept for reading"
            click.echo(f"attachment key:    {key_id} ({state}) SM4-GCM")


commands = [keys_group]

if __name__ == "__main__":  # the first keys, before the app can start
    keys_group.main(prog_name="python -m inspect_app.keys_cli")
