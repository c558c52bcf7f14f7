"""Modules that are also their main function: ``deltaprop.gradcheck(net, X, T)``, ``deltaprop.explain(net, x, t)``.

A package attribute cannot be both a function and a module, and binding the
function over the module (``from .gradcheck import gradcheck`` in the package)
hides the module: ``deltaprop.gradcheck.numerical_gradient`` and ``import
deltaprop.gradcheck as g`` then give the function. So the module itself is made
callable instead, calling its function.
"""

from __future__ import annotations

import sys
import types


def make_callable(module_name: str, function) -> None:
    """Calling the module ``module_name`` calls ``function`` (with the same arguments and result)."""

    class CallableModule(types.ModuleType):
        def __call__(self, *args, **kwargs):
            return function(*args, **kwargs)

    CallableModule.__call__.__doc__ = function.__doc__
    sys.modules[module_name].__class__ = CallableModule
