"""The leadership figures' rollups: what they are keyed by (slices), what the records contribute (sources),
and how they are kept true (upkeep: in every write's transaction, and rebuilt on demand)."""

from .slices import ALL_TYPES, ANY, BUREAU, kinds_key, scope_slice, slice_name
from .sources import ROLLUPS, contributions
from .upkeep import REBUILT, STALE, apply, rebuild, rebuild_all, stored

__all__ = ["ALL_TYPES", "ANY", "BUREAU", "REBUILT", "ROLLUPS", "STALE", "apply", "contributions", "kinds_key",
           "rebuild", "rebuild_all", "scope_slice", "slice_name", "stored"]
