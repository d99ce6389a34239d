"""The benefit models a rule pack can name, by model name."""

from eventfilter.core.rules import boligstoette, forsorjningsstod, kontanthjaelp
from eventfilter.core.rules.common import FactsView, Model

MODELS: dict[str, Model] = {
    m.name: m for m in (kontanthjaelp.MODEL, boligstoette.MODEL, forsorjningsstod.MODEL)
}

__all__ = ["MODELS", "FactsView", "Model"]
