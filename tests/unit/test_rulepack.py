"""The rule pack is data: loaded, validated, and refused when malformed."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from eventfilter.core.pack import RulePack
from eventfilter.errors import ConfigError
from eventfilter.rulepack import default_pack_path, load_pack


def test_the_default_pack_has_three_benefits_with_references(pack: RulePack) -> None:
    assert pack.label == "default 2026.1"
    assert set(pack.benefits) == {"kontanthjaelp", "boligstoette", "forsorjningsstod"}
    for benefit in pack.benefits.values():
        assert benefit.legal_ref
        for c in benefit.criteria.values():
            assert c.legal_ref and c.consequence in ("suspend", "review")
        for p in benefit.parameters.values():
            assert p.reference
            assert p.values[0].valid_from == date(2026, 1, 1)


def test_the_consequences_are_those_of_rules_md(pack: RulePack) -> None:
    ky = pack.benefits["kontanthjaelp"]
    assert ky.consequence("municipality_handover") == "review"
    assert ky.consequence("left_country") == "suspend"
    assert pack.benefits["forsorjningsstod"].consequence("housing_changed") == "review"
    assert pack.benefits["boligstoette"].consequence("left_dwelling") == "suspend"


def test_a_parameter_takes_the_value_in_force_on_the_date(tmp_path: Path) -> None:
    text = (
        default_pack_path()
        .read_text()
        .replace(
            "values = [{ valid_from = 2026-01-01, value = 12800 }]",
            "values = [{ valid_from = 2026-01-01, value = 12800 },"
            " { valid_from = 2026-07-01, value = 13100 }]",
        )
    )
    path = tmp_path / "pack.toml"
    path.write_text(text)
    spec = load_pack(path).benefits["kontanthjaelp"]
    assert spec.params_on(date(2026, 6, 30)).num("rate_30plus_no_provider") == 12800
    assert spec.params_on(date(2026, 7, 1)).num("rate_30plus_no_provider") == 13100
    # the stretches between changes: the same number, the same values
    stretches = [spec.stretch(date(2026, m, d)) for m, d in ((1, 1), (6, 30), (7, 1), (12, 31))]
    assert stretches[0] == stretches[1] != stretches[2] == stretches[3]
    assert spec.stretch(date(2025, 12, 31)) == stretches[0]  # before the first date: the first value


def write(tmp_path: Path, old: str, new: str) -> Path:
    text = default_pack_path().read_text()
    assert old in text
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('consequence = "suspend"', 'consequence = "stop"', "consequence"),
        ('legal_ref = "aktivloven § 5"', 'legal_ref = ""', "legal_ref"),
        ('reference = "aktivloven § 25"', "", "reference"),
        ("value = 17000", 'value = "a lot"', "must be a number"),
        ('model = "boligstoette"', 'model = "housing"', "model"),
        (
            "[benefits.kontanthjaelp.criteria.deceased]",
            "[benefits.kontanthjaelp.criteria.deceasedd]",
            "criteria",
        ),
        ('[pack]\nname = "default"', '[pack]\nnamee = "default"', "pack"),
        ("values = [{ valid_from = 2026-01-01, value = 0.25 }]", "values = []", "values"),
        ('version = "2026.1"', 'version = "2026.1', "not valid TOML"),
        # what every decision records, and the payment system's routing keys, must fit
        ('version = "2026.1"', f'version = "{"9" * 100}"', "at most 100"),
    ],
)
def test_a_malformed_pack_is_refused_with_one_clear_sentence(
    tmp_path: Path, old: str, new: str, words: str
) -> None:
    with pytest.raises(ConfigError) as exc:
        load_pack(write(tmp_path, old, new))
    message = str(exc.value)
    assert "broken.toml" in message
    assert words in message
    assert "\n" not in message


@pytest.mark.parametrize("name", ["k" * 51, '"kontant.hjaelp"', '"kontant hjaelp"', '"kontant#"'])
def test_a_benefit_named_outside_what_routing_keys_and_decisions_hold_is_refused(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(default_pack_path().read_text().replace("benefits.kontanthjaelp", f"benefits.{name}"))
    with pytest.raises(ConfigError, match="must be 1-50 letters, digits, '_' or '-'"):
        load_pack(path)


def test_a_missing_parameter_is_named(tmp_path: Path) -> None:
    text = default_pack_path().read_text()
    raw = tomllib.loads(text)
    assert "rate_under30_provider" in raw["benefits"]["kontanthjaelp"]["parameters"]
    start = text.index("[benefits.kontanthjaelp.parameters.rate_under30_provider]")
    end = text.index("[benefits.kontanthjaelp.parameters.rate_under30_no_provider]")
    path = tmp_path / "broken.toml"
    path.write_text(text[:start] + text[end:])
    with pytest.raises(ConfigError, match="lacks parameter rate_under30_provider"):
        load_pack(path)


def test_a_missing_pack_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_pack(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("values", "words"),
    [
        (
            "values = [{ valid_from = 2026-07-01, value = 13100 },"
            " { valid_from = 2026-01-01, value = 12800 }]",
            "list the values in date order",
        ),
        (
            "values = [{ valid_from = 2026-01-01, value = 12800 },"
            " { valid_from = 2026-01-01, value = 13100 }]",
            "they overlap",
        ),
    ],
)
def test_new_values_out_of_order_or_overlapping_are_refused_naming_the_parameter(
    tmp_path: Path, values: str, words: str
) -> None:
    path = write(tmp_path, "values = [{ valid_from = 2026-01-01, value = 12800 }]", values)
    with pytest.raises(ConfigError) as exc:
        load_pack(path)
    message = str(exc.value)
    assert "rate_30plus_no_provider" in message and words in message and "\n" not in message


def test_a_blank_legal_reference_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="reference"):
        load_pack(write(tmp_path, 'reference = "aktivloven § 25"', 'reference = "   "'))


def test_a_blank_reference_of_one_value_is_refused_naming_the_parameter(tmp_path: Path) -> None:
    old = "values = [{ valid_from = 2026-01-01, value = 12800 }]"
    new = 'values = [{ valid_from = 2026-01-01, value = 12800, reference = " " }]'
    with pytest.raises(
        ConfigError, match=r"rate_30plus_no_provider.*reference|reference.*rate_30plus_no_provider"
    ):
        load_pack(write(tmp_path, old, new))


def test_the_pack_says_from_when_it_is_in_force(pack: RulePack) -> None:
    assert pack.in_force_from == date(2026, 1, 1)
    assert pack.benefits["kontanthjaelp"].change_dates(date(2026, 1, 1), date(2027, 1, 1)) == []


def test_a_benefit_is_in_force_from_the_last_first_value_of_its_parameters(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "values = [{ valid_from = 2026-01-01, value = 3000 }]",
        "values = [{ valid_from = 2026-03-01, value = 3000 }]",
    )
    pack = load_pack(path)
    assert pack.benefits["boligstoette"].in_force_from == date(2026, 3, 1)
    assert pack.benefits["kontanthjaelp"].in_force_from == date(2026, 1, 1)
    assert pack.in_force_from == date(2026, 3, 1)
