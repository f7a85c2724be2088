"""Request and response shapes of promo codes (``/v1/events/{id}/promo-codes``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from contexts.shared.schemas import Instant, PatchModel, RequestModel

# Codes are matched case-insensitively and stored upper-case: buyers type them.
Code = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{3,32}$", to_upper=True, strip_whitespace=True)
]
TierName = Annotated[str, StringConstraints(min_length=1, max_length=50)]
DiscountType = Literal["percentage", "fixed", "none"]


class PromoCreate(RequestModel):
    """A new code: a discount (percentage of the total, or fixed per ticket), an access
    code (``discount_type`` none) that unlocks hidden tiers or the presale, or both."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"code": "EARLY20", "discount_type": "percentage", "discount_value": 20,
                 "max_uses": 100, "valid_until": "2027-05-01T00:00:00Z"},
                {"code": "CREW", "discount_type": "none", "unlocks_tiers": ["Backstage"],
                 "presale": True},
            ]
        },
    )  # fmt: skip

    code: Code
    discount_type: DiscountType = "none"
    # Percent for percentage codes (1..100), minor units per ticket for fixed ones.
    discount_value: int = Field(0, ge=0, le=100_000_000)
    max_uses: int | None = Field(
        None, ge=1, le=10_000_000, description="Reservations using it; none: no limit"
    )
    valid_from: Instant | None = None
    valid_until: Instant | None = None
    unlocks_tiers: list[TierName] = Field(default_factory=list, max_length=100)
    presale: bool = Field(False, description="Holders may reserve before `sale_starts_at`")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.discount_type == "percentage" and not 1 <= self.discount_value <= 100:
            raise ValueError("a percentage code needs `discount_value` in 1..100")
        if self.discount_type == "fixed" and self.discount_value < 1:
            raise ValueError("a fixed code needs a positive `discount_value` (minor units)")
        if self.discount_type == "none" and self.discount_value:
            raise ValueError("`discount_value` needs a `discount_type`")
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValueError("`valid_until` must be after `valid_from`")
        return self


class PromoUpdate(PatchModel):
    """What may change on a code: disable or re-enable it, its limit and its window.
    ``null`` clears the limit (no limit) or a bound of the window (open-ended)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"disabled": True}, {"max_uses": 500, "valid_until": None}]}
    )
    nullable: ClassVar[frozenset[str]] = frozenset({"max_uses", "valid_from", "valid_until"})

    disabled: bool | None = None
    max_uses: int | None = Field(None, ge=1, le=10_000_000, description="null: no limit")
    valid_from: Instant | None = Field(None, description="null: valid from its creation")
    valid_until: Instant | None = Field(None, description="null: valid until the sale ends")


class PromoPublic(BaseModel):
    """A code as its event's organisers see it."""

    event_id: str
    code: str
    discount_type: DiscountType
    discount_value: int
    max_uses: int | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    unlocks_tiers: list[str] = Field(default_factory=list)
    presale: bool = False
    disabled: bool = False
    created_at: datetime
    uses: int | None = Field(
        None, description="Live or sold reservations using it (null: the event is not open)"
    )
