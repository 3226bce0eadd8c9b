"""One error tree: every error class of sweeplib lives in sweeplib.errors, in its docstring."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import sweeplib
from sweeplib import errors


def _sweeplib_modules():
    for info in pkgutil.walk_packages(sweeplib.__path__, prefix="sweeplib."):
        if info.name.rsplit(".", 1)[-1] == "__main__":
            continue
        yield importlib.import_module(info.name)


def _exception_classes():
    found = set()
    for module in _sweeplib_modules():
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__.startswith("sweeplib"):
                found.add(value)
    return found


def test_every_public_error_class_is_defined_in_the_errors_module():
    outside = {
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _exception_classes()
        if cls.__module__ != "sweeplib.errors" and not cls.__name__.startswith("_")
    }
    assert outside == set()


def test_every_error_class_is_in_the_documented_tree_and_exported():
    defined = {
        cls
        for cls in vars(errors).values()
        if inspect.isclass(cls) and issubclass(cls, Exception) and cls.__module__ == errors.__name__
    }
    tree = errors.__doc__ or ""
    for cls in defined:
        assert f"── {cls.__name__}" in tree or cls is errors.SweepError, cls.__name__
        assert cls.__name__ in errors.__all__, cls.__name__
        assert issubclass(cls, errors.SweepError), cls.__name__


def test_private_exception_helpers_never_leave_their_module():
    # Internal signals (a worker's classified failure, the JSON decoder's hook error) are
    # private; every one of them is caught where it is raised.
    private = {cls.__qualname__ for cls in _exception_classes() if cls.__name__.startswith("_")}
    assert private <= {"_Failure", "_RejectedJSON"}


def test_codes_are_unique_and_drawn_in_the_tree():
    classes = [
        cls
        for cls in vars(errors).values()
        if inspect.isclass(cls) and issubclass(cls, errors.SweepError)
    ]
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes))
    tree = errors.__doc__ or ""
    for cls in classes:
        assert cls is errors.SweepError or re.search(rf"\s{cls.code}\s", tree), cls.__name__
