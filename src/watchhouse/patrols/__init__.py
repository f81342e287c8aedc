"""Patrol allocation: turn a harm-weighted forecast into a shift's patrol visits (HiGHS MIP)."""

from watchhouse.patrols.plan import Allocation, Hotspot, InfeasiblePlan, PatrolPlan, harm_prevented, plan_patrols

__all__ = ["Allocation", "Hotspot", "InfeasiblePlan", "PatrolPlan", "harm_prevented", "plan_patrols"]
