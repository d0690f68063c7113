"""The migration registry: sqlite-utils' Migrations, keeping the names registered in
order (sar.store.migrations lists them; the migrations themselves are in
migrations_until_m010 and migrations_from_m011, registered in that order)."""

from __future__ import annotations

from sqlite_utils.migrations import Migrations


class Registry(Migrations):
    """sqlite-utils' Migrations, also keeping the names registered, in order: it has
    no public list of them (only the private `_migrations`)."""

    def __init__(self, name: str):
        super().__init__(name)
        self.names: list[str] = []

    def __call__(self, *, name: str | None = None, transactional: bool = True):
        register = super().__call__(name=name, transactional=transactional)

        def inner(fn):
            register(fn)
            self.names.append(name or fn.__name__)
            return fn

        return inner


migrations = Registry("sar")
