"""The base of every request body: strict JSON types, and what ``null`` means on PATCH.

Request bodies are validated strictly: a boolean is not a number, a string is not a
number nor a boolean, a float is not an integer (``{"quantity": true}`` or
``"quantity": "2"`` is a 422 on that field, never one place held). FastAPI validates the
decoded JSON in Python mode, where strict mode would also refuse an ISO string for a
datetime or a value for an enum; those two are the only lax types (``Instant``, and
``Strict(False)`` on enums), and ``Instant`` still takes only a string.

A PATCH body says which of its fields may be cleared: ``nullable``. An explicit
``null`` clears those and is a 422 on every other field, before anything is stored;
an absent field is left as it is (``changes()`` is what was sent).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetJsonSchemaHandler,
    Strict,
    ValidationInfo,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError


def _iso_text(value: object) -> object:
    # JSON carries a date-time as a string; a number would be read as a Unix time.
    if isinstance(value, str | datetime):
        return value
    raise PydanticCustomError(
        "datetime_type", "Input should be an ISO 8601 date-time string with a time zone"
    )


# A date-time with a time zone, from its ISO 8601 text (strict for every other type).
Instant = Annotated[AwareDatetime, Strict(False), BeforeValidator(_iso_text)]


class RequestModel(BaseModel):
    """A request body: strict JSON types, unknown fields refused (a typo is a 422)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class PatchModel(RequestModel):
    """A partial update. Fields default to None (absent: unchanged); only the names in
    ``nullable`` accept an explicit null (clear the value)."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        unknown = cls.nullable - set(cls.model_fields)
        if unknown:  # a typo here would make a clearable field silently non-nullable
            raise TypeError(f"{cls.__name__}.nullable names no field: {sorted(unknown)}")

    @field_validator("*", mode="before")
    @classmethod
    def _null_only_where_nullable(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable:
            raise PydanticCustomError("null_not_allowed", "This field cannot be null")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the request sent, with their values (None: cleared)."""
        return {name: getattr(self, name) for name in self.model_fields_set}

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # The OpenAPI says what is accepted: null only where it clears something.
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        for name, prop in target.get("properties", {}).items():
            if name not in cls.nullable:
                _drop_null(prop)
        return schema


def _drop_null(prop: dict[str, Any]) -> None:
    """Remove ``null`` from a property's schema, and the ``default: null`` with it."""
    if prop.get("default", ...) is None:
        del prop["default"]
    options = prop.get("anyOf")
    if options is None:
        return
    kept = [option for option in options if option.get("type") != "null"]
    if len(kept) == 1:
        del prop["anyOf"]
        prop.update(kept[0])
    else:
        prop["anyOf"] = kept
