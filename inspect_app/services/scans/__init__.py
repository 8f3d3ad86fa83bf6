"""Technical inspection results: the scan file, JSON or CSV (format.py), importing a scan into an inspection and
proposing answers from it (importing.py), the inspector's decisions (decisions.py), a scan as pages show it
(view.py), and a device against the 涉密设备 register (devices.py)."""

from . import format
from .decisions import confirm, reject
from .devices import RegisteredDevice, registered_device
from .format import ScanFile
from .importing import ScanTextSuspected, import_scan, mapped_items
from .view import ScanView, pending_by_item, proposal_of, scan_of, scan_view, scans_of

__all__ = [
    "RegisteredDevice", "ScanFile", "ScanTextSuspected", "ScanView", "confirm", "format", "import_scan",
    "mapped_items", "pending_by_item", "proposal_of", "registered_device", "reject", "scan_of", "scan_view",
    "scans_of",
]
