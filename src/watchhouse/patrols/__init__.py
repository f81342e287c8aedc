"""Patrol allocation: turn a harm-weighted forecast into a shift's patrol visits (HiGHS MIP).

Public functions (other capabilities and web pages call these):
``plan_patrols(hotspots, neighbourhoods, hours_per_shift, officers, ...) -> PatrolPlan``;
``watchhouse.patrols.from_forecast.plan_from_forecast(forecast_path, hours_per_shift, officers, ...)
-> ForecastPlan`` (plan, per-cell neighbourhood and harm, fairness across neighbourhoods);
``watchhouse.patrols.tension_report.tension_report(events=..., ...) -> TensionReport``.
"""

from __future__ import annotations

import importlib

__all__ = ["Allocation", "Hotspot", "InfeasiblePlan", "PatrolPlan", "harm_prevented", "plan_patrols"]


def __getattr__(name: str):
    # Loaded on first use, so that the CLI's command discovery does not pay for numpy.
    if name not in __all__:
        raise AttributeError(f"module 'watchhouse.patrols' has no attribute {name!r}")
    return getattr(importlib.import_module("watchhouse.patrols.plan"), name)
