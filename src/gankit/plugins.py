"""Plugins: modules written outside gankit that register objectives, networks, penalties or metrics when they are
imported. Python code imports them itself; the command line loads those the user names, with --plugin or
$GANKIT_PLUGINS, and those installed packages declare under the entry-point group "gankit.plugins". A run
directory never names code to run: a checkpoint from elsewhere must not make gankit import anything."""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
from importlib.metadata import entry_points
from pathlib import Path

from .errors import ConfigError

ENV = "GANKIT_PLUGINS"   # os.pathsep-separated module names or .py files
GROUP = "gankit.plugins"  # entry points of installed packages: name = module


def load_plugins(names: list[str] = ()) -> list[str]:
    """Imports every plugin named (a dotted module name or a .py file), then those of $GANKIT_PLUGINS and the
    installed entry points; each once per process. Returns the module names."""
    named = [*names, *filter(None, os.environ.get(ENV, "").split(os.pathsep))]
    loaded = [load_plugin(name) for name in named]
    for point in entry_points(group=GROUP):
        loaded.append(point.load().__name__)
    return loaded


def load_plugin(name: str) -> str:
    """One plugin by module name or file path; a ConfigError names what could not be imported and why."""
    if name.endswith(".py") or os.sep in name:
        return load_file(Path(name))
    try:
        return importlib.import_module(name).__name__
    except Exception as err:  # noqa: BLE001 - whatever the plugin's code raised, said in one line
        raise ConfigError(f"plugin {name}: cannot import it ({type(err).__name__}: {err})") from None


def load_file(path: Path) -> str:
    """A .py file as a module named after its resolved path, so loading it twice imports it once."""
    path = path.expanduser().resolve()
    if not path.is_file() or path.suffix != ".py":
        raise ConfigError(f"plugin {path}: no such .py file")
    module_name = f"gankit_plugin_{path.stem}_{hashlib.sha1(str(path).encode()).hexdigest()[:8]}"
    if module_name in sys.modules:
        return module_name
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # noqa: BLE001 - whatever the plugin's code raised, said in one line
        del sys.modules[module_name]
        raise ConfigError(f"plugin {path}: importing it raised {type(err).__name__}: {err}") from None
    return module_name
