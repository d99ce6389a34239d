"""The contract's lines as pydantic models (contract.md §§ 1-3): events, the
register extract's persons, the case extract's cases. Unknown extra fields
are ignored, at the top level and in `data`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, TypeAdapter

from eventfilter.formats.patterns import (
    COUNTRY,
    MONTH,
    MUNICIPALITY_MAX,
    PERSON_ID,
    PLAIN,
    TEXT_MAX,
    TYPE_MAX,
)

PersonId = Annotated[str, Field(pattern=f"^{PERSON_ID}$")]
Month = Annotated[str, Field(pattern=f"^{MONTH}$")]
Country = Annotated[str, Field(pattern=f"^{COUNTRY}$")]
NonEmpty = Annotated[str, Field(min_length=1, max_length=TEXT_MAX, pattern=f"^{PLAIN}$")]
Plain = Annotated[str, Field(max_length=TEXT_MAX, pattern=f"^{PLAIN}$")]
Municipality = Annotated[str, Field(max_length=MUNICIPALITY_MAX, pattern=f"^{PLAIN}$")]
PayingMunicipality = Annotated[str, Field(min_length=1, max_length=MUNICIPALITY_MAX, pattern=f"^{PLAIN}$")]
EventType = Annotated[str, Field(min_length=1, max_length=TYPE_MAX, pattern=f"^{PLAIN}$")]
Amount = Annotated[float, Field(ge=0, allow_inf_nan=False)]
MaritalStatus = Literal["unmarried", "married", "registered_partnership", "separated", "divorced", "widowed"]


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True, allow_inf_nan=False)


# --- events ---------------------------------------------------------------
class AddressDataIn(_In):
    address_id: Plain | None
    municipality_code: Municipality | None = None
    country: Country


class MaritalDataIn(_In):
    status: MaritalStatus
    partner_id: PersonId | None = None


class BirthDataIn(_In):
    birth_date: date
    parent_ids: list[PersonId] = []
    address_id: Plain | None = None
    municipality_code: Municipality | None = None
    country: Country | None = None


class IncomeDataIn(_In):
    period: Month
    amount: Amount
    source: Plain | None = None


class ProtectedDataIn(_In):
    protected: bool


class CorrectionDataIn(_In):
    corrects_event_id: NonEmpty


class EventBase(_In):
    event_id: NonEmpty
    person_id: PersonId
    effective_date: date
    recorded_at: datetime | None = None


class AddressChangeIn(EventBase):
    type: Literal["address_change"]
    data: AddressDataIn


class MaritalChangeIn(EventBase):
    type: Literal["marital_status_change"]
    data: MaritalDataIn


class BirthIn(EventBase):
    type: Literal["birth"]
    data: BirthDataIn


class IncomeChangeIn(EventBase):
    type: Literal["income_change"]
    data: IncomeDataIn


class ProtectedIn(EventBase):
    type: Literal["protected_address"]
    data: ProtectedDataIn


class CorrectionIn(EventBase):
    type: Literal["correction"]
    data: CorrectionDataIn


class OtherEventIn(EventBase):
    """death, the types no rule reads, and types unknown to the pack."""

    type: EventType
    data: dict[str, Any] = {}


ParsedEvent = (
    AddressChangeIn | MaritalChangeIn | BirthIn | IncomeChangeIn | ProtectedIn | CorrectionIn | OtherEventIn
)

_TYPED = {
    "address_change": AddressChangeIn,
    "marital_status_change": MaritalChangeIn,
    "birth": BirthIn,
    "income_change": IncomeChangeIn,
    "protected_address": ProtectedIn,
    "correction": CorrectionIn,
}


def _tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if isinstance(kind, str) and kind in _TYPED else "other"


EventIn = (
    Annotated[AddressChangeIn, Tag("address_change")]
    | Annotated[MaritalChangeIn, Tag("marital_status_change")]
    | Annotated[BirthIn, Tag("birth")]
    | Annotated[IncomeChangeIn, Tag("income_change")]
    | Annotated[ProtectedIn, Tag("protected_address")]
    | Annotated[CorrectionIn, Tag("correction")]
    | Annotated[OtherEventIn, Tag("other")]
)
EVENT = TypeAdapter[Any](Annotated[EventIn, Discriminator(_tag)])


class PersonIn(_In):
    person_id: PersonId
    birth_date: date
    alive: bool = True
    address_id: Plain | None = None
    municipality_code: Municipality | None = None
    country: Country
    marital_status: MaritalStatus = "unmarried"
    partner_id: PersonId | None = None
    parent_ids: list[PersonId] = []
    monthly_income: Amount | None = None
    income_period: Month | None = None
    protected_address: bool = False


class CaseIn(_In):
    case_id: NonEmpty
    benefit: NonEmpty
    beneficiary_id: PersonId
    municipality_code: PayingMunicipality
    status: Literal["active", "suspended"] = "active"
    dwelling_address_id: NonEmpty | None = None
    housing_cost: Amount | None = None


PERSON = TypeAdapter(PersonIn)
CASE = TypeAdapter(CaseIn)
