"""Patrol allocation: turn a harm-weighted forecast into a shift's patrol visits (HiGHS MIP).

Public functions (other capabilities and web pages call these):
``plan_patrols(hotspots, neighbourhoods, hours_per_shift, officers, ...) -> PatrolPlan``;
``watchhouse.patrols.from_forecast.plan_from_forecast(forecast_path, hours_per_shift, officers, ...)
-> ForecastPlan`` (plan, per-cell neighbourhood and harm, fairness across neighbourhoods);
``watchhouse.patrols.tension_report.tension_report(events=..., ...) -> TensionReport``.
"""

from watchhouse.patrols.plan import Allocation, Hotspot, InfeasiblePlan, PatrolPlan, harm_prevented, plan_patrols

__all__ = ["Allocation", "Hotspot", "InfeasiblePlan", "PatrolPlan", "harm_prevented", "plan_patrols"]
