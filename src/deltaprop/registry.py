"""The registries (``ACTIVATIONS``, ``LOSSES``, ``INITIALISERS``, ``OPTIMISERS``, ``SCHEDULES``): dicts that take
new entries and keep deltaprop's own.

Model files and checkpoints store an activation, a loss, an initialiser, an optimiser or a schedule by its name,
and the compiled training step (``deltaprop.kernels``) computes some hidden activations by name. Another object
put under one of deltaprop's names would be computed as deltaprop's on that path, and read back as deltaprop's in
the next process: so deltaprop's own entries cannot be replaced or removed, and one of the user's goes under a
name of its own. Entries added later may be replaced or removed (a notebook cell run again).
"""

from __future__ import annotations

__all__ = ["Registry"]


class Registry(dict):
    """A dict of named entries whose first entries (deltaprop's own) cannot be replaced or removed.

    ``title`` ("ACTIVATIONS") and ``example`` (what registering one looks like, "{name}" for its name:
    "Activation({name!r}, ...)") are for the message that refuses a replacement.
    """

    def __init__(self, title: str, entries, example: str) -> None:
        super().__init__(entries)
        self.title, self.example = title, example
        self.own = frozenset(self)  # deltaprop's names

    def _refuse(self, key, what: str) -> None:
        # (getattr: pickle and copy may set items before the attributes)
        if key in getattr(self, "own", ()):
            mine = f"my_{key}"
            raise ValueError(f"{getattr(self, 'title', 'registry')}[{key!r}] is deltaprop's own entry, which model files "
                             f"and checkpoints store by its name (read back as deltaprop's in the next process), so it "
                             f"cannot be {what}; register yours under a new name: "
                             f"{getattr(self, 'title', 'registry')}[{mine!r}] = {self.example.format(name=mine)}")

    def __setitem__(self, key, value) -> None:
        if key in self and self[key] is not value:
            self._refuse(key, "replaced")
        super().__setitem__(key, value)

    def __delitem__(self, key) -> None:
        self._refuse(key, "removed")
        super().__delitem__(key)

    def pop(self, key, *default):
        if key in self:
            self._refuse(key, "removed")
        return super().pop(key, *default)

    def popitem(self):
        if self:
            self._refuse(next(reversed(self)), "removed")
        return super().popitem()

    def clear(self) -> None:
        for key in self:
            self._refuse(key, "removed")
        super().clear()

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args, **kwargs) -> None:
        entries = dict(*args, **kwargs)
        for key, value in entries.items():  # (all checked first: a refused update changes nothing)
            if key in self and self[key] is not value:
                self._refuse(key, "replaced")
        super().update(entries)

    def __ior__(self, other):
        self.update(other)
        return self
