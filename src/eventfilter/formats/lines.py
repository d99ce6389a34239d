"""Writing the contract's lines: a decision (contract.md § 4) and an event (§ 3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import orjson

from eventfilter.core import events as ev
from eventfilter.core.decision import Decision
from eventfilter.core.reasons import NO_ACTIVE_CASE


def _encode(value: Any) -> str:
    return orjson.dumps(value).decode()


_QUOTE = json.JSONEncoder(ensure_ascii=False).encode
_NO_CASE_REASONS = _encode([NO_ACTIVE_CASE.to_dict()])


def decision_line(d: Decision) -> str:
    """The decision as one JSON line; the common "no active case" line is
    assembled from parts (it is most of what a replay writes)."""
    if d.case_id is None and d.reasons == (NO_ACTIVE_CASE,):
        event_ids = ",".join(_QUOTE(e) for e in d.event_ids)
        return (
            f'{{"decision_id":"{d.decision_id}","event_ids":[{event_ids}],'
            f'"person_id":{_QUOTE(d.person_id)},"case_id":null,"benefit":null,'
            f'"decision":"{d.outcome}","reasons":{_NO_CASE_REASONS},"before":null,"after":null,'
            f'"rule_pack":{_QUOTE(d.rule_pack)},'
            f'"effective_date":"{d.effective_date.isoformat()}","parameters":null,"hold":null}}'
        )
    return _encode(d.to_record())


def utc_stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def event_line(e: ev.Event) -> bytes:
    """An event as the contract's line (§ 3): what a snapshot's diff hands to the
    pipeline, and what the generator writes beside its register files."""
    record: dict[str, Any] = {
        "event_id": e.event_id,
        "type": e.type,
        "person_id": e.person_id,
        "effective_date": e.effective_date.isoformat(),
    }
    if e.recorded_at is not None:
        record["recorded_at"] = e.recorded_at
    record["data"] = _event_data(e.data)
    return orjson.dumps(record)


def _event_data(data: ev.EventData) -> dict[str, Any]:
    if isinstance(data, ev.AddressData):
        return {
            "address_id": data.address_id,
            "municipality_code": data.municipality_code,
            "country": data.country,
        }
    if isinstance(data, ev.MaritalData):
        return {"status": data.status, "partner_id": data.partner_id}
    if isinstance(data, ev.BirthData):
        return {
            "birth_date": data.birth_date.isoformat(),
            "parent_ids": list(data.parent_ids),
            "address_id": data.address_id,
            "municipality_code": data.municipality_code,
            "country": data.country,
        }
    if isinstance(data, ev.IncomeData):
        income: dict[str, Any] = {"period": data.period, "amount": data.amount}
        if data.source is not None:
            income["source"] = data.source
        return income
    if isinstance(data, ev.ProtectedData):
        return {"protected": data.protected}
    if isinstance(data, ev.CorrectionData):
        return {"corrects_event_id": data.corrects_event_id}
    return {}
