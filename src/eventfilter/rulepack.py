"""Load a rule pack from config/ (TOML), validate it, and build the core's model.

A malformed pack is refused at start with one sentence naming the file and
the field: a missing legal reference, a parameter without a date, a value of
the wrong kind, a criterion the benefit model does not have.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from eventfilter.core.pack import (
    BenefitSpec,
    Consequence,
    CriterionSpec,
    DatedValue,
    Parameter,
    ParamValue,
    RulePack,
)
from eventfilter.core.rules import MODELS
from eventfilter.errors import ConfigError
from eventfilter.formats.patterns import BENEFIT, BENEFIT_MAX, RULE_PACK_MAX

Text = Annotated[str, Field(min_length=1, pattern=r"\S")]  # not blank


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatedValueIn(_Strict):
    valid_from: date
    value: float | str | list[str]
    reference: Text | None = None  # the legal basis of this value, where it has its own


class ParameterIn(_Strict):
    description: str = ""
    reference: Text
    values: list[DatedValueIn] = Field(min_length=1)

    @field_validator("values")
    @classmethod
    def _dates_increase(cls, values: list[DatedValueIn]) -> list[DatedValueIn]:
        starts = [v.valid_from for v in values]
        for a, b in pairwise(starts):
            if a == b:
                raise ValueError(f"two values take effect on {a} (they overlap): give each date once")
            if b < a:
                raise ValueError(f"valid_from {b} comes after {a}: list the values in date order")
        return values


class CriterionIn(_Strict):
    consequence: Consequence
    legal_ref: Text
    description: str = ""


class BenefitIn(_Strict):
    model: Text
    title: Text
    currency: Text
    legal_ref: Text
    criteria: dict[str, CriterionIn]
    parameters: dict[str, ParameterIn] = {}


class PackMetaIn(_Strict):
    name: Text
    version: Text
    description: str = ""


class EventsIn(_Strict):
    not_read: list[str] = []


class CommonIn(_Strict):
    parameters: dict[str, ParameterIn] = {}


class PackIn(_Strict):
    pack: PackMetaIn
    events: EventsIn = EventsIn()
    common: CommonIn = CommonIn()
    benefits: dict[str, BenefitIn] = Field(min_length=1)
    reasons: dict[str, str] = {}


def default_config_dir() -> Path:
    """The default rule pack and settings, shipped inside the package (the
    checkout's config/ points here), so an installed wheel finds them too."""
    return Path(__file__).resolve().parent / "config"


def default_pack_path() -> Path:
    return default_config_dir() / "rulepacks" / "default.toml"


def load_pack(path: Path | None = None) -> RulePack:
    path = path or default_pack_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"The rule pack {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"The rule pack {path} cannot be read: {exc}.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"The rule pack {path} is not valid TOML: {exc}.") from None
    try:
        parsed = PackIn.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"The rule pack {path} is malformed at {where}: {first['msg']}.") from None
    return build_pack(parsed, str(path))


_BENEFIT = re.compile(BENEFIT)


def build_pack(parsed: PackIn, where: str) -> RulePack:
    label = f"{parsed.pack.name} {parsed.pack.version}"
    if len(label) > RULE_PACK_MAX:
        raise ConfigError(
            f"The rule pack {where}: its name and version are {len(label)} characters long; "
            f"every decision records them, in at most {RULE_PACK_MAX}."
        )
    common = {name: _parameter(name, p) for name, p in parsed.common.parameters.items()}
    benefits = {}
    for name, b in parsed.benefits.items():
        if not _BENEFIT.fullmatch(name):
            raise ConfigError(
                f"The rule pack {where}: benefit {name[:60]!r} must be 1-{BENEFIT_MAX} letters, digits, "
                "'_' or '-' (it names the payment system's routing keys)."
            )
        model = MODELS.get(b.model)
        if model is None:
            known = ", ".join(sorted(MODELS))
            raise ConfigError(
                f"The rule pack {where}: benefit {name} names model {b.model!r}; known: {known}."
            )
        missing = sorted(model.criteria - set(b.criteria))
        extra = sorted(set(b.criteria) - model.criteria)
        if missing or extra:
            what = (
                f"lacks criteria {', '.join(missing)}"
                if missing
                else f"has unknown criteria {', '.join(extra)}"
            )
            raise ConfigError(f"The rule pack {where}: benefit {name} {what}.")
        params = {**common, **{n: _parameter(n, p) for n, p in b.parameters.items()}}
        for pname, kind in model.parameters.items():
            if pname not in params:
                raise ConfigError(f"The rule pack {where}: benefit {name} lacks parameter {pname}.")
            for v in params[pname].values:
                if not _is_kind(v.value, kind):
                    raise ConfigError(
                        f"The rule pack {where}: parameter {pname} of {name} "
                        f"must be a {kind}, not {v.value!r}."
                    )
        unknown = sorted(set(b.parameters) - set(model.parameters))
        if unknown:
            raise ConfigError(
                f"The rule pack {where}: benefit {name} has unknown parameters {', '.join(unknown)}."
            )
        benefits[name] = BenefitSpec(
            name=name,
            model=b.model,
            title=b.title,
            legal_ref=b.legal_ref,
            currency=b.currency,
            criteria={
                c: CriterionSpec(c, spec.consequence, spec.legal_ref, spec.description)
                for c, spec in b.criteria.items()
            },
            parameters=params,
        )
    return RulePack(
        name=parsed.pack.name,
        version=parsed.pack.version,
        benefits=benefits,
        not_read_types=frozenset(parsed.events.not_read),
        reason_texts=dict(parsed.reasons),
    )


def _parameter(name: str, p: ParameterIn) -> Parameter:
    values = tuple(DatedValue(v.valid_from, _value(v.value), v.reference) for v in p.values)
    return Parameter(name, values, p.reference, p.description)


def _value(value: float | str | list[str]) -> ParamValue:
    return tuple(value) if isinstance(value, list) else value


def _is_kind(value: ParamValue, kind: str) -> bool:
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "text":
        return isinstance(value, str)
    return isinstance(value, tuple | str)
