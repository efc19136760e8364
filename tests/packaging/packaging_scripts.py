"""The repository paths and the packaging scripts as modules, for the packaging tests.

packaging/ has no __init__.py (the name would shadow the ``packaging`` library), so its scripts are
loaded from their files.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
RESOURCES = ROOT / "resources"


def load_script(name: str) -> ModuleType:
    """packaging/NAME.py as a module (cached in sys.modules under ``rearguard_packaging_NAME``)."""
    key = f"rearguard_packaging_{name}"
    if key in sys.modules:
        return sys.modules[key]
    spec = importlib.util.spec_from_file_location(key, PACKAGING / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module
    spec.loader.exec_module(module)
    return module
