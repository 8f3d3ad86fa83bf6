"""Rendered HTML kept in the process by everything it shows, the least recently used dropped first: the fill
page's item forms, the dashboard's board. Each web worker keeps its own; nothing here outlives a restart."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

_ALL: list[Kept] = []


class Kept:
    def __init__(self, limit: int):
        self.limit = limit
        self._html: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = threading.Lock()
        _ALL.append(self)

    def get(self, key: Hashable, render: Callable[[], str]) -> str:
        """The HTML kept for `key`, or what `render()` makes now, kept for next time."""
        with self._lock:
            html = self._html.get(key)
            if html is not None:
                self._html.move_to_end(key)
                return html
        html = render()
        with self._lock:
            self._html[key] = html
            while len(self._html) > self.limit:
                self._html.popitem(last=False)
        return html

    def clear(self) -> None:
        with self._lock:
            self._html.clear()


def clear_all() -> None:
    """Forget everything kept, as a restart does (the tests start each from a new database)."""
    for kept in _ALL:
        kept.clear()
