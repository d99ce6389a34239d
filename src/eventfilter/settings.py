"""Operating settings from config/settings.toml (deadlines, calendars, batch size)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from eventfilter.core.deadlines import Calendar, DeadlinePolicy
from eventfilter.errors import ConfigError
from eventfilter.rulepack import default_config_dir


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReplayIn(_Strict):
    batch_size: int = Field(default=100_000, ge=1, le=1_000_000)
    windows_in_memory: int = Field(default=20_000, ge=0)
    persons_in_memory: int = Field(default=1_000_000, ge=0)


CprCountry = Annotated[str, Field(pattern=r"^[0-9]{1,4}$")]
IsoCountry = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]


class InputIn(_Strict):
    # A date further ahead than this is taken for a typo (a dead letter): one
    # line dated 9999 would outrank every real change after it.
    horizon_days: int = Field(default=366, ge=1, le=36_600)
    # The CPR extract's country codes (record 005) → ISO 3166 alpha-2. A code
    # written as two capital letters is read as ISO; any other not listed here
    # becomes "ZZ" (abroad, country not known).
    cpr_countries: dict[
        Annotated[str, Field(pattern=r"^[0-9]{1,4}$")], Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    ] = {}


class StreamIn(_Strict):
    settle_seconds: float = Field(default=60, ge=0)
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"
    queue: str = "eventfilter.events"
    decisions_exchange: str = "eventfilter.decisions"
    partitions: int = Field(default=4, ge=1, le=1024)
    delivery_limit: int = Field(default=5, ge=1)
    prefetch: int = Field(default=1000, ge=1)
    batch_size: int = Field(default=2000, ge=1)
    max_wait: float = Field(default=0.2, ge=0)
    standby_after: float = Field(default=10, ge=0)
    close_every: float = Field(default=1.0, gt=0)


class WebIn(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    idle_minutes: int = Field(default=480, ge=1)
    auth: Literal["local", "header"] = "local"
    auth_header: str = "X-Forwarded-Email"
    # None: Secure cookies unless the server listens on loopback only.
    secure_cookies: bool | None = None
    # With auth = "header": the proxies whose sign-in header is believed (empty: loopback only).
    trusted_proxies: list[str] = []


class CalendarIn(_Strict):
    holidays: list[date] = []
    payment_runs: list[date] = []


class ReviewIn(_Strict):
    calendar_by_benefit: dict[str, str] = {}
    before_payment_run: list[str] = ["municipality_handover"]
    default_working_days: int = Field(default=10, ge=0)
    working_days: dict[str, int] = {}


class SettingsIn(_Strict):
    replay: ReplayIn = ReplayIn()
    input: InputIn = InputIn()
    stream: StreamIn = StreamIn()
    review: ReviewIn = ReviewIn()
    web: WebIn = WebIn()
    calendars: dict[str, CalendarIn] = {}


@dataclass(frozen=True)
class Settings:
    batch_size: int
    settle_seconds: float
    deadlines: DeadlinePolicy
    stream: StreamIn = field(default_factory=StreamIn)
    web: WebIn = field(default_factory=WebIn)
    windows_in_memory: int = 20_000
    horizon_days: int = 366
    cpr_countries: dict[str, str] = field(default_factory=dict)
    persons_in_memory: int = 1_000_000


def default_settings_path() -> Path:
    return default_config_dir() / "settings.toml"


def load_settings(path: Path | None = None) -> Settings:
    path = path or default_settings_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        parsed = SettingsIn.model_validate(raw)
    except FileNotFoundError:
        raise ConfigError(f"The settings file {path} does not exist.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"The settings file {path} is not valid TOML: {exc}.") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"The settings file {path} is malformed at {where}: {first['msg']}.") from None
    for benefit, name in parsed.review.calendar_by_benefit.items():
        if name not in parsed.calendars:
            raise ConfigError(
                f"The settings file {path}: benefit {benefit} names calendar {name}, which is not defined."
            )
    policy = DeadlinePolicy(
        working_days=dict(parsed.review.working_days),
        default_days=parsed.review.default_working_days,
        before_payment_run=frozenset(parsed.review.before_payment_run),
        calendars={
            name: Calendar(frozenset(c.holidays), tuple(sorted(c.payment_runs)))
            for name, c in parsed.calendars.items()
        },
        calendar_by_benefit=dict(parsed.review.calendar_by_benefit),
    )
    return Settings(
        parsed.replay.batch_size,
        parsed.stream.settle_seconds,
        policy,
        parsed.stream,
        parsed.web,
        parsed.replay.windows_in_memory,
        parsed.input.horizon_days,
        {code.zfill(4): iso for code, iso in parsed.input.cpr_countries.items()},
        parsed.replay.persons_in_memory,
    )
