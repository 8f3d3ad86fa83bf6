"""Official documents: each kind's data (inspection_documents.py, summary.py), the kinds (kinds.py), the record
version and verification code (codes.py), rendering and keeping the PDF (rendering.py, jobs.py), verification.

A document's data is plain JSON values built from the record. Its SHA-256 is the record version; the
verification code is derived from (kind, record, version), so the same content always gets the same code,
and any change to what the document shows gets a new one. One Document row stands for one version and is
rendered once: the PDF is kept under the instance folder by its own SHA-256, and a second request for the
same version is a file read. The codes of older versions stay valid for lookup and read as superseded.
Documents are in Chinese whatever the reader's language: labels are resolved under the zh locale.
"""

from . import summary
from .codes import canonical_json, normalise_code, record_version, sha256_of, verification_code
from .inspection_documents import inspection_report_data, notice_data, office_of, rectification_report_data
from .jobs import Job, job_status, request_document, wait_for
from .kinds import KINDS, Kind, kind
from .rendering import (
    Prepared,
    cached,
    document_html,
    documents_dir,
    ensure,
    file_path,
    find,
    prepare,
    render_inline,
    roots,
    signing_key_id,
    verify_url,
)
from .verification import FileVerification, Verification, current_version, record_label, record_of, verify, verify_file

__all__ = [
    "KINDS", "FileVerification", "Job", "Kind", "Prepared", "Verification", "cached", "canonical_json",
    "current_version",
    "document_html", "documents_dir", "ensure", "file_path", "find", "inspection_report_data", "job_status",
    "kind", "normalise_code", "notice_data", "office_of", "prepare", "record_label", "record_of",
    "record_version", "rectification_report_data", "render_inline", "request_document", "roots", "sha256_of",
    "signing_key_id",
    "summary", "verification_code", "verify", "verify_file", "verify_url", "wait_for",
]
