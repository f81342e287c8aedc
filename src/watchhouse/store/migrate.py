"""Run every capability's Alembic branch up to its head.

Each capability keeps its revisions in ``watchhouse/<capability>/migrations/`` with its own
branch label, so capabilities evolve their tables independently; ``upgrade`` applies all heads.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

import watchhouse

PACKAGE_ROOT = Path(watchhouse.__file__).parent


def version_locations() -> list[str]:
    return sorted(str(p) for p in PACKAGE_ROOT.glob("*/migrations") if any(p.glob("*.py")))


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(PACKAGE_ROOT / "store" / "alembic"))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", os.pathsep.join(version_locations()))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the database named by ``engine`` up to date; safe to call on every start."""
    command.upgrade(alembic_config(engine), "heads")
