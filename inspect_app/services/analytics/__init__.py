"""The leadership figures' rollups: what they are keyed by (slices), what the records contribute (sources),
and how they are kept true (upkeep: in every write's transaction, and rebuilt on demand); the data version the
pages rendered from them are kept by (version)."""

from .slices import ALL_TYPES, ANY, BUREAU, kinds_key, scope_slice, slice_name
from .sources import ROLLUPS, contributions
from .standings import PRESETS, stored_windows, windows_for
from .upkeep import REBUILT, STALE, TABLES, apply, catch_up, rebuild, rebuild_all, recomputed, stored
from .version import current as data_version

__all__ = ["ALL_TYPES", "ANY", "BUREAU", "PRESETS", "REBUILT", "ROLLUPS", "STALE", "TABLES", "apply", "catch_up",
           "contributions", "data_version", "kinds_key", "rebuild", "rebuild_all", "recomputed", "scope_slice",
           "slice_name", "stored", "stored_windows", "windows_for"]
