"""What the payment system receives on the decisions exchange."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from eventfilter.core.decision import Decision
from eventfilter.formats import decision_line
from eventfilter.ports import OutMessage


def decision_message(d: Decision) -> OutMessage:
    """The decision line, routed decision.{outcome}.{benefit or none}."""
    return OutMessage(f"decision.{d.outcome}.{d.benefit or 'none'}", d.decision_id, decision_line(d).encode())


def hold_message(
    kind: str,
    case_id: str,
    benefit: str,
    decision_id: str | None,
    at: datetime,
    reasons: Sequence[str],
    message_id: str,
    by: str = "eventfilter",
) -> OutMessage:
    """A hold placed, lifted or confirmed, routed hold.{kind}.{benefit}."""
    body = {
        "type": f"hold_{kind}",
        "case_id": case_id,
        "benefit": benefit,
        "decision_id": decision_id,
        "at": at.isoformat(),
        "by": by,
        "reasons": list(reasons),
    }
    return OutMessage(f"hold.{kind}.{benefit}", message_id, json.dumps(body, ensure_ascii=False).encode())
