"""The core's values that write their own `__init__` (compiled with mypyc, a
dataclass's generated one runs as Python): each takes its fields, by name and
in order, so that positional calls, keyword calls and `dataclasses.replace`
mean what the fields say."""

from __future__ import annotations

import ast
import copy
import dataclasses
import inspect
import sys
from datetime import date
from pathlib import Path

import pytest

from eventfilter.core import decide, decision, evaluation, events, facts, reasons, window

WRITTEN = [
    evaluation.Check,
    evaluation.Missing,
    evaluation.Evaluation,
    decision.Decision,
    reasons.Reason,
    window.Window,
    decide.Trigger,
    events.AddressData,
    events.MaritalData,
    events.BirthData,
    events.IncomeData,
    events.ProtectedData,
    events.CorrectionData,
    events.Event,
    facts.Person,
    facts.Case,
    facts.Write,
    facts.Effect,
]


def _written_params(cls: type) -> list[str]:
    """The parameters of the class's own `__init__`, read from its source (compiled,
    an `__init__` carries no signature; the source beside it is what was compiled)."""
    module = sys.modules[cls.__module__]
    assert module.__file__ is not None
    source = Path(module.__file__).with_name(cls.__module__.rsplit(".", 1)[1] + ".py")
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ClassDef) and node.name == cls.__name__:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    return [a.arg for a in item.args.args[1:]]
    raise AssertionError(f"{cls.__name__} writes no __init__")


@pytest.mark.parametrize("cls", WRITTEN, ids=lambda c: c.__name__)
def test_a_written_init_takes_the_fields_by_name_and_in_order(cls: type) -> None:
    assert _written_params(cls) == [f.name for f in dataclasses.fields(cls)]
    assert "__init__" in vars(cls)  # written, not generated: init=False keeps it
    module_file = sys.modules[cls.__module__].__file__ or ""
    if not module_file.endswith(".py"):  # the compiled build (the wheel test runs this file there)
        assert not inspect.isfunction(vars(cls)["__init__"]), "compiled, the __init__ is native"


def test_values_keep_what_they_are_given_and_compare_by_value() -> None:
    ev = evaluation.Evaluation(
        True, 10.0, "c", ("B",), (evaluation.Check("x", evaluation.Status.HOLDS, 1.0),)
    )
    assert (ev.missing, ev.counted_income, ev.base) == ((), None, None)
    assert ev == dataclasses.replace(ev) and ev != dataclasses.replace(ev, amount=11.0)
    p = facts.Person("P", date(1990, 1, 2), partner_id="Q")
    assert (p.alive, p.parent_ids, p.protected_address, p.v_birth) == (True, (), False, None)
    assert dataclasses.replace(p, alive=False).alive is False and p.alive is True


def test_a_window_or_an_effect_left_without_lists_gets_its_own_empty_ones() -> None:
    before = evaluation.Evaluation(None, None, None, (), ())
    a, b = (
        window.Window("C1", date(2026, 1, 1), "P", before, 0.0),
        window.Window("C2", date(2026, 1, 1), "P", before, 0.0),
    )
    a.event_ids.append("e1")
    a.types.append("t")
    assert b.event_ids == [] and b.types == [] and b.corrections == [] and b.unknown_corrections == []
    e1, e2 = facts.Effect("e1"), facts.Effect("e2")
    e1.writes.append(facts.Write("P", facts.Group.ALIVE, (False,), ("2026-01-01",)))
    assert e2.writes == []


def test_a_copied_person_is_equal_and_apart() -> None:
    p = facts.Person(
        "P",
        date(1990, 1, 2),
        False,
        "A",
        "101",
        "DK",
        "married",
        "Q",
        ("M",),
        100.0,
        "2026-01",
        True,
        *(("v", str(n)) for n in range(6)),
    )  # every field its own value: a copy that swaps two shows
    q = copy.copy(p)
    assert q == p and q is not p
    assert [getattr(q, f.name) for f in dataclasses.fields(q)] == [
        getattr(p, f.name) for f in dataclasses.fields(p)
    ]
    q.address_id = "B"
    assert p.address_id == "A"
