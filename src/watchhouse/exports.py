"""Lazy public names for capability packages.

``watchhouse <command>`` imports every capability's ``cli`` module, and Python imports a
package's ``__init__`` first; a package that imported its implementation there would make
every command pay for SQLAlchemy, argon2 and the rest before doing anything. A package lists
its public names and the submodule holding each; the submodule is imported on first use.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], object], list[str]]:
    """``(__getattr__, __all__)`` for ``package`` whose public ``name`` lives in ``package.exports[name]``."""

    def __getattr__(name: str) -> object:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        # Kept on the package, so later look-ups are plain attribute reads.
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__, sorted(exports)
