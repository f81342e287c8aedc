"""Watchhouse: a community-safety information hub for police forces and their partners."""

__version__ = "0.1.0"
