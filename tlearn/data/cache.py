"""Where generated and downloaded data live.

Generated sets are cheap to rebuild but not free (the default Glyphs background set takes a few seconds),
so they are saved once under :func:`cache_dir` and loaded afterwards. The folder is ``$TLEARN_CACHE`` if
set, else ``~/.cache/tlearn``. A cached file that cannot be read is rebuilt, never trusted.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import fields
from pathlib import Path

import torch

CACHE_ENV = "TLEARN_CACHE"


def cache_dir() -> Path:
    """The cache folder (``$TLEARN_CACHE`` or ``~/.cache/tlearn``), created if missing."""
    path = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "tlearn").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


VERSION = 3  # part of every key: bump it when a generator changes, so stale files are rebuilt, not loaded


def cached(key: str, build, cls: type, enabled: bool = True):
    """Return ``build()`` (an instance of the dataclass ``cls``), saved under ``key`` in the cache folder and
    loaded from there next time. The caller names the class, so this module imports no dataset module."""
    if not enabled:
        return build()
    path = cache_dir() / f"v{VERSION}-{key}.pt"
    if path.exists():
        try:
            # memory-mapped: a page of the file is read when a tensor's element on it is first used, so a
            # notebook that uses 20 of a set's 400 classes holds little more than those 20 in memory
            state = torch.load(path, weights_only=True, mmap=True)
            if state.pop("__type__") != cls.__name__:
                raise ValueError(f"the file holds another type than {cls.__name__}")
            return cls(**state)
        except Exception as err:  # noqa: BLE001 (a torn or stale file of any kind: rebuild rather than trust it)
            warnings.warn(f"ignoring unreadable cache file {path} ({err}); rebuilding it", stacklevel=2)
    obj = build()
    state = {f.name: getattr(obj, f.name) for f in fields(obj)}
    state["__type__"] = type(obj).__name__
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the whole new one
    except OSError as err:
        warnings.warn(f"could not write cache file {path} ({err}); continuing without the cache", stacklevel=2)
    return obj
