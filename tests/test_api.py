"""The public API: every exported name resolves, functions stay functions, one error root."""

from __future__ import annotations

import importlib
import inspect

import pytest

import mzgeo


def test_all_exports_resolve():
    for name in mzgeo.__all__:
        assert getattr(mzgeo, name) is not None, name


def test_function_names_shadowing_modules_stay_callable():
    import mzgeo.analysis.coverage  # noqa: F401  (the module)
    import mzgeo.locate.run  # noqa: F401  (the module behind mzgeo.allocate)

    assert inspect.isfunction(mzgeo.coverage)
    assert inspect.isfunction(mzgeo.allocate)
    assert importlib.import_module("mzgeo.analysis.coverage").CoverageResult is not None


@pytest.mark.parametrize(
    "cls", ["InputError", "CRSError", "NetworkError", "InfeasibleError", "NotSolvedError", "ValidationError"]
)
def test_error_hierarchy(cls):
    assert issubclass(getattr(mzgeo, cls), mzgeo.MzgeoError)


def test_public_functions_are_typed_and_documented():
    for name in mzgeo.__all__:
        obj = getattr(mzgeo, name)
        if inspect.isfunction(obj):
            assert obj.__doc__ and "Parameters" in obj.__doc__, f"{name} lacks a numpydoc docstring"
            hints = inspect.signature(obj).return_annotation
            assert hints is not inspect.Signature.empty, f"{name} lacks a return annotation"
