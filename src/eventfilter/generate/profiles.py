"""The shape of a synthetic world: where people live (municipalities by
weight) and how often things happen to them (a `Profile` per kind of world)."""

from __future__ import annotations

from dataclasses import dataclass, field

NATIONAL_PERSONS = 5_900_000  # Denmark's population register

# Danish municipality codes, weighted roughly by population.
DK_NATIONAL: tuple[tuple[str, float], ...] = (
    ("101", 11.0), ("751", 6.0), ("851", 3.8), ("461", 3.5), ("561", 2.0), ("621", 1.6), ("630", 1.9),
    ("147", 1.8), ("730", 1.7), ("615", 1.6), ("657", 1.5), ("740", 1.6), ("370", 1.4), ("330", 1.3),
    ("265", 1.5), ("791", 1.6), ("159", 1.2), ("157", 1.3), ("230", 1.0), ("219", 0.9), ("217", 1.1),
    ("540", 1.3), ("580", 1.0), ("510", 0.9), ("813", 1.0), ("860", 1.1), ("607", 0.9), ("316", 1.2),
    ("479", 1.0), ("746", 1.1), ("167", 0.9), ("169", 0.9),
    *((code, 0.5) for code in (
        "151", "153", "155", "161", "163", "165", "173", "175", "183", "185", "187", "190", "201",
        "210", "223", "240", "250", "253", "259", "260", "269", "270", "306", "320", "326", "329",
        "336", "340", "350", "360", "376", "390", "400", "410", "420", "430", "440", "450", "480",
        "482", "492", "530", "550", "563", "573", "575", "661", "665", "671", "706", "707", "710",
        "727", "741", "756", "760", "766", "773", "779", "787", "810", "820", "825", "840", "846",
        "849",
    )),
)  # fmt: skip
SE_NATIONAL: tuple[tuple[str, float], ...] = (
    ("0180", 5.0), ("1480", 3.0), ("1280", 2.0), ("0380", 1.2), ("0580", 1.0), ("1880", 1.0),
    ("1481", 0.4), ("0680", 0.8), ("1380", 0.6), ("2480", 0.8),
)  # fmt: skip
# The sample: a busy small Danish municipality (561 Esbjerg) and its neighbours,
# with a Swedish one (1480 Göteborg) for the Swedish benefit.
DK_SAMPLE: tuple[tuple[str, float], ...] = (("561", 4.0), ("510", 1.0), ("573", 1.0), ("101", 1.0))
SE_SAMPLE: tuple[tuple[str, float], ...] = (("1480", 3.0), ("1481", 1.0), ("1280", 1.0))
ABROAD = ("DE", "NO", "PL", "ES", "GB")
OTHER_TYPES = (
    "name_change",
    "church_membership_change",
    "citizenship_change",
    "contact_address_change",
    "guardianship_change",
)
MARITAL = ("unmarried", "married", "divorced", "widowed")
UNMARRIED, MARRIED, DIVORCED = 0, 1, 2
WITHDRAWABLE = frozenset({"address_change", "death", "marital_status_change", "income_change"})


@dataclass(frozen=True)
class Profile:
    """Rates per person and year. Register events are counted as events (a
    family of four moving is four address changes); income reports are
    monthly, for every person related to a case (18 million a year)."""

    moves: float = 0.1525  # 900,000 moves a year in 5.9 million
    within_municipality: float = 0.62
    emigrations: float = 0.03  # share of moves that leave the country
    no_fixed_address: float = 0.004  # share of moves to no fixed address
    move_alone: float = 0.4  # share of moves made by one person alone
    births: float = 0.0102  # 60,000
    deaths: float = 0.0093  # 55,000
    marriages: float = 0.0051  # 30,000 marriages (an event per spouse)
    divorces: float = 0.0025
    other_types: float = 0.49  # name, church, citizenship, contact address, guardianship
    unknown_types: float = 0.0005
    protections: float = 0.0005
    duplicates: float = 0.02  # share of event lines sent twice (1-5 %)
    corrections: float = 0.015  # share of event lines withdrawing an earlier one (1-3 %)
    malformed: float = 0.003  # share of lines that are broken (a few per mille)
    # Active cases per person: 90,000 cash assistance, 590,000 housing benefit,
    # 20,000 other (here: Swedish financial assistance) in 5.9 million.
    case_rates: tuple[tuple[str, float], ...] = (
        ("kontanthjaelp", 0.01525),
        ("boligstoette", 0.1),
        ("forsorjningsstod", 0.0034),
    )
    job_found: float = 0.012  # monthly chance that a related person's income jumps
    income_reports: bool = True
    se_share: float = 0.03
    dk_municipalities: tuple[tuple[str, float], ...] = DK_NATIONAL
    se_municipalities: tuple[tuple[str, float], ...] = SE_NATIONAL
    protected_households: float = 0.004

    def case_rate(self, benefit: str) -> float:
        return dict(self.case_rates).get(benefit, 0.0)


# The national mix (issue 5's figures).
NATIONAL = Profile()
# The register feed alone (no income reports): most events touch no case.
REGISTER = Profile(income_reports=False)
# The bundled sample: a small municipality where, in a few months, every kind of change happens.
SAMPLE = Profile(
    moves=1.3,
    emigrations=0.02,
    no_fixed_address=0.02,
    move_alone=0.3,
    births=0.06,
    deaths=0.03,
    marriages=0.06,
    divorces=0.03,
    other_types=0.9,
    unknown_types=0.01,
    protections=0.01,
    duplicates=0.005,
    corrections=0.002,
    malformed=0.0015,
    case_rates=(("kontanthjaelp", 0.07), ("boligstoette", 0.12), ("forsorjningsstod", 0.06)),
    job_found=0.03,
    se_share=0.25,
    dk_municipalities=DK_SAMPLE,
    se_municipalities=SE_SAMPLE,
)
PROFILES = {"sample": SAMPLE, "national": NATIONAL, "register": REGISTER}


@dataclass
class Places:
    """Municipalities (and countries abroad) by small index."""

    codes: list[str | None] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)

    def add(self, code: str | None, country: str) -> int:
        self.codes.append(code)
        self.countries.append(country)
        return len(self.codes) - 1
