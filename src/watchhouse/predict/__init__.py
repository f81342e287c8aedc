"""Hotspot forecasting: grid forecasts from timestamped point events, backtests, harm weights.

Public functions (other capabilities call these, never the modules' internals):
``load_events(path) -> (Events, SkipReport)``, ``forecast_grid(events, as_of, horizon_days,
cell_size=200, method="auto", category=None) -> Forecast``, ``METHODS`` (name -> method),
``harm.harm_weight(category) -> float``, ``run_backtest(...)``.
"""

from __future__ import annotations

from watchhouse.exports import lazy_exports

# Imported on first use, so that ``watchhouse --help`` does not pay for numpy, scipy and pyproj.
_EXPORTS = {
    "Events": "events",
    "EventsError": "events",
    "SkipReport": "events",
    "load_events": "events",
    "parse_as_of": "events",
    "Forecast": "forecast",
    "ForecastError": "forecast",
    "forecast_grid": "forecast",
    "Grid": "grid",
    "StudyAreaError": "grid",
    "METHODS": "methods",
}
__getattr__, __all__ = lazy_exports(__name__, _EXPORTS)
