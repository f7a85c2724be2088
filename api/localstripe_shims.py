"""A shim for our localstripe (``python -m api.devservers localstripe``): listing the
objects of one type reads only that type's objects, not the whole store.

localstripe 1.15.10 keeps every object in one dict (``resources.store``, keys
``"<type>:<id>"``), and its base ``StripeObject._api_list_all`` builds a list by walking
*all* of it. A charge's ``refunds``, ``amount_refunded`` and ``refunded`` are such lists
(``Refund._api_list_all(charge=...)``), and a charge is exported whenever a
PaymentIntent is created, confirmed or has an event made of it: profiled during a
2,000-order purchase bench, ~38 % of localstripe's CPU was that walk, so a confirm cost
O(objects stored) (every payment adds an intent, a charge, a balance transaction and
events) and the stadium's last payment was slower than its first.

The shim keeps, next to the store, the keys of each type in insertion order (a dict used
as an ordered set, so a key set again keeps its place, as in the store), maintained by
the store's own ``__setitem__``/``__delitem__`` and rebuilt after a load; the base list
then reads ``store[key]`` for the keys of its type only: the same objects, in the same
order. Guarded: it applies to the pinned version and checks that the methods it replaces
still have the shape it was written against; otherwise it raises.
"""

from __future__ import annotations

import importlib.metadata
import inspect
from typing import Any

LOCALSTRIPE_VERSION = "1.15.10"


class LocalstripeShimError(RuntimeError):
    """The installed localstripe is not the one the shim was written against."""


class TypeIndex:
    """The store's keys by object type (``"charge"`` for ``"charge:ch_..."``), in order."""

    def __init__(self) -> None:
        self.keys: dict[str, dict[str, None]] = {}

    def add(self, key: str) -> None:
        self.keys.setdefault(key.partition(":")[0], {})[key] = None

    def remove(self, key: str) -> None:
        self.keys.get(key.partition(":")[0], {}).pop(key, None)

    def rebuild(self, store: dict[str, Any]) -> None:
        self.keys.clear()
        for key in store:
            self.add(key)

    def of(self, object_type: str, store: dict[str, Any]) -> list[Any]:
        # A write that bypassed __setitem__ (dict.update) shows as a count mismatch.
        if sum(map(len, self.keys.values())) != len(store):
            self.rebuild(store)
        return [store[key] for key in self.keys.get(object_type, ())]


def apply_list_index_shim(resources: Any) -> TypeIndex:
    """Patch ``resources`` (localstripe's module); the index it keeps, for tests."""
    installed = importlib.metadata.version("localstripe")
    if installed != LOCALSTRIPE_VERSION:
        raise LocalstripeShimError(
            f"localstripe {installed} is installed but api/localstripe_shims.py was written "
            f"for {LOCALSTRIPE_VERSION}: re-check StripeObject._api_list_all, then update "
            "or remove the shim"
        )
    base = resources.StripeObject.__dict__["_api_list_all"].__func__
    source = inspect.getsource(base)
    if "store.items()" not in source or "startswith(cls.object + ':')" not in source:
        raise LocalstripeShimError("StripeObject._api_list_all no longer walks the store")
    store_class, store, list_class = resources.Store, resources.store, resources.List
    user_error = resources.UserError
    index = TypeIndex()
    index.rebuild(store)
    set_item, del_item = store_class.__setitem__, store_class.__delitem__
    clear = store_class.clear
    try_load = store_class.try_load_from_disk

    def setitem(self: Any, key: str, value: Any) -> None:
        if self is store:
            index.add(key)
        set_item(self, key, value)  # upstream's, which then saves (dump_to_disk)

    def delitem(self: Any, key: str) -> None:
        del_item(self, key)
        if self is store:
            index.remove(key)

    def clear_all(self: Any) -> None:  # DELETE /_config/data, and a load
        clear(self)
        if self is store:
            index.keys.clear()

    def load(self: Any) -> None:
        try_load(self)  # replaces the content wholesale (clear + update)
        if self is store:
            index.rebuild(self)

    def list_all(
        cls: Any, url: Any, limit: Any = None, starting_after: Any = None, **kwargs: Any
    ) -> Any:
        # Upstream's body, with the walk over every key replaced by the type's keys.
        if kwargs:
            raise user_error(400, "Unexpected " + ", ".join(kwargs.keys()))
        li = list_class(url, limit=limit, starting_after=starting_after)
        li._list = index.of(cls.object, store)
        return li

    store_class.__setitem__ = setitem
    store_class.__delitem__ = delitem
    store_class.clear = clear_all
    store_class.try_load_from_disk = load
    resources.StripeObject._api_list_all = classmethod(list_all)
    return index
