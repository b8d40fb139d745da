"""The hyperparameters of a model's config, checked when the config loads: each one a name the model
takes (LightGBM's own parameters and aliases included), and all of them accepted by the library."""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from common.config import ConfigError, file_that_sets
from common.lifecycle.spec import ModelSpec
from common.suggest import did_you_mean


def accepted_parameters(model) -> set[str]:
    """The parameter names a model takes: its estimator parameters, and for a LightGBM model every
    parameter of the LightGBM library and their aliases too (its scikit-learn wrapper passes them on,
    e.g. `max_bin`), from the list the library itself gives."""
    names = set(model.get_params())
    try:
        from lightgbm import LGBMModel
        from lightgbm.basic import _ConfigAliases  # noqa: PLC2701 - LightGBM's alias table has no public accessor
    except ImportError:
        return names
    if isinstance(model, LGBMModel):
        # LightGBM has no public accessor for its parameter list; this is the one its wrapper uses.
        aliases = _ConfigAliases._get_all_param_aliases()  # noqa: SLF001 - see above
        names |= set(aliases) | {alias for group in aliases.values() for alias in group}
    return names


# A few made-up rows of three numeric features, on which the model library checks the hyperparameters
# (types and ranges) as it would at training: by fitting on them.
_PROBE_ROWS = 24


def check_hyperparameters(spec: ModelSpec, hyperparameters: dict, seed: int, files: list[Path]) -> None:
    """Every hyperparameter is one the model factory knows, and the model library accepts them as
    configured, which it only says when it fits: a probe fit on a few made-up rows, at load time, so
    that a misspelt name, a string where a number goes or a value out of its range is an error naming
    the file and the key, not a TypeError deep in training."""
    model = spec.make_model({}, seed)
    known = accepted_parameters(model)
    for name in hyperparameters:
        if name not in known:
            # The estimator's own names first: LightGBM's aliases would suggest 'num_leaf' for 'num_leafs'.
            hint = (did_you_mean(name, sorted(model.get_params()), "; did you mean '{}'?")
                    or did_you_mean(name, sorted(known), "; did you mean '{}'?"))
            where = file_that_sets(files, f"training.hyperparameters.{name}")
            raise ConfigError(f"{where}: unknown {spec.library} parameter "
                              f"'training.hyperparameters.{name}'{hint}")
    params = dict(hyperparameters)
    if not params or _probe_fit(spec, params, seed) is None:
        return
    defaults = model.get_params()
    for name, value in params.items():
        refused = _probe_fit(spec, {name: value}, seed)
        if refused is None:
            continue
        key = f"training.hyperparameters.{name}"
        default = defaults.get(name)
        if isinstance(value, str) and isinstance(default, (int, float)) and not isinstance(default, bool):
            why = f"must be a number ({spec.library}'s default is {default}), not {value!r}"
        else:
            why = f"= {value!r} is refused by {spec.library}: {refused}"
        raise ConfigError(f"{file_that_sets(files, key)}: '{key}' {why}")
    together = _probe_fit(spec, params, seed)
    raise ConfigError(f"{file_that_sets(files, 'training.hyperparameters')}: {spec.library} refuses "
                      f"'training.hyperparameters' together ({', '.join(params)}): {together}")


def _probe_fit(spec: ModelSpec, params: dict, seed: int) -> str | None:
    """Why the model refuses `params` on made-up rows of the spec's problem, or None when it fits."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.random((_PROBE_ROWS, 3)), columns=["a", "b", "c"])
    classes = {"binary": 2, "multiclass": 3}.get(spec.problem)
    y = np.arange(_PROBE_ROWS) % classes if classes else rng.random(_PROBE_ROWS)
    try:
        with _silenced():
            spec.make_model(dict(params), seed).fit(X, y)
    except Exception as exc:  # whatever the library raises is its verdict on the parameters
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        # LightGBM's checks end with their place in its C++ sources, which says nothing to a user.
        return re.sub(r"\s+at \S+, line \d+\s*\.?$", "", first).strip()
    return None


@contextlib.contextmanager
def _silenced():
    """No output from a probe fit: LightGBM writes "[LightGBM] [Fatal] ..." to the process's stderr
    from C++ before it raises, which would stand before the one message the user should see."""
    saved = None
    try:
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:  # no file descriptor 2 to silence (an embedded interpreter): print then
        saved = None
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)
