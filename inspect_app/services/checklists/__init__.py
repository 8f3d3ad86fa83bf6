"""The checklist library: its files and syncing them (library.py), searching it (search.py), templates, versions
and their differences (versions.py), the file format (schema.py) and the legal texts it cites (legal_texts.py)."""

from . import legal_texts, schema
from .library import (
    MAX_UPLOAD_BYTES,
    SyncReport,
    UploadRejected,
    check_against_synced,
    current_versions,
    latest_version,
    library_dir,
    library_files,
    library_order,
    load_paths,
    set_version_status,
    store_version,
    sync,
    sync_library,
    upload_template,
)
from .search import (
    MAX_QUERY_LENGTH,
    SEARCH_FIELDS,
    CitingItem,
    SearchGroup,
    SearchHit,
    SearchResult,
    citing_items,
    matched_fields,
    mentions,
    search_items,
    search_library,
)
from .versions import (
    MAX_VERSION_NUMBER,
    ItemChange,
    ItemTally,
    VersionDiff,
    all_templates,
    current_version,
    diff_versions,
    get_template,
    get_version,
    item_tallies,
    load_sections,
    reading_version,
    versions_to_compare,
)

__all__ = [
    "MAX_QUERY_LENGTH", "MAX_UPLOAD_BYTES", "MAX_VERSION_NUMBER", "SEARCH_FIELDS", "CitingItem", "ItemChange",
    "ItemTally", "SearchGroup", "SearchHit", "SearchResult", "SyncReport", "UploadRejected", "VersionDiff",
    "all_templates", "check_against_synced", "citing_items", "current_version", "current_versions",
    "diff_versions", "get_template", "get_version", "item_tallies", "latest_version", "legal_texts",
    "library_dir", "library_files", "library_order", "load_paths", "load_sections", "matched_fields", "mentions",
    "reading_version", "schema", "search_items", "search_library", "set_version_status", "store_version", "sync",
    "sync_library", "upload_template", "versions_to_compare",
]
