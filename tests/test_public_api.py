"""Every public module declares a complete, sorted ``__all__`` that resolves."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import partstream

# Modules that are programs, not APIs.
_NOT_API = {"partstream.cli", "partstream.__main__"}


def _public_modules() -> list[str]:
    names = ["partstream"]
    for info in pkgutil.walk_packages(partstream.__path__, "partstream."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue
        if info.name in _NOT_API:
            continue
        names.append(info.name)
    return names


def _defined_here(module: ModuleType, obj: object) -> bool:
    """True for classes/functions defined in this module or in its private submodules."""
    home = getattr(obj, "__module__", None)
    if not isinstance(home, str) or not (inspect.isclass(obj) or inspect.isfunction(obj)):
        return False
    base = module.__name__
    package = base if hasattr(module, "__path__") else base.rpartition(".")[0]
    if home == base:
        return True
    rest = home[len(package) + 1 :] if home.startswith(package + ".") else ""
    return bool(rest) and rest.split(".")[0].startswith("_")


@pytest.mark.parametrize("name", _public_modules())
def test_all_is_sorted_complete_and_resolves(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert list(exported) == sorted(exported), f"{name}.__all__ is not sorted"
    assert len(set(exported)) == len(exported), f"{name}.__all__ has duplicates"
    for item in exported:
        assert hasattr(module, item), f"{name}.__all__ names missing {item!r}"
    missing = [
        attr
        for attr, obj in vars(module).items()
        if not attr.startswith("_") and attr not in exported and _defined_here(module, obj)
    ]
    assert not missing, f"{name}.__all__ lacks {missing}"


def test_public_classes_are_final() -> None:
    from partstream import parts

    for item in parts.__all__:
        obj = getattr(parts, item)
        if inspect.isclass(obj):
            assert getattr(obj, "__final__", False), f"parts.{item} is not @final"
