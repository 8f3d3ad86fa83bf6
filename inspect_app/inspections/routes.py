"""Routes of this area: thin; the work is in services/."""
from . import bp  # noqa: F401
