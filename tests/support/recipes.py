"""The scripts of recipes/ as modules, for tests of their parts."""

import importlib.util
from pathlib import Path

RECIPES = Path(__file__).resolve().parents[2] / "recipes"


def load_recipe(name):
    """recipes/NAME.py imported as a module of that name."""
    spec = importlib.util.spec_from_file_location(name, RECIPES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
