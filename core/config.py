"""Configuration: the embedded ``config.yaml``, an optional site file over it, and environment overrides.

Why this shape: an administrator edits one YAML file on a kiosk with no developer at hand, so every
mistake must come back as ``file:line: key: what is wrong`` and exit code 2 — never a traceback. The
embedded default is complete; a site file only lists the keys it changes (deep-merged), and
``DANGJIAN__SECTION__KEY=value`` environment variables override both (values parsed as YAML scalars).
Relative paths are resolved against the directory of the file that set them.

This module is the loading: reading, merging, validating, resolving paths and the demo site's defaults.
The typed sections are ``core.config_sections``; how a mistake is worded is ``core.config_errors``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from core.config_errors import ConfigError, describe
from core.config_sections import (
    MUST_BE_DIR,
    MUST_BE_FILE,
    AssistantSection,
    Config,
    ContentSection,
    DatabaseSection,
    DevicesSection,
    FaceSection,
    FeedSection,
    FleetSection,
    GnssSection,
    HallSection,
    KioskSection,
    LivenessSection,
    MapSection,
    MqttSection,
    SiteSection,
    WebSection,
)
from core.yamlfile import MarkedSafeLoader, Origin, cut, display_path, dotted, read_yaml, where

#: Every name importable from ``core.config``: the sections live in ``core.config_sections``, the wording
#: of mistakes in ``core.config_errors``; importers keep ``from core.config import ...``.
__all__ = [
    "DEFAULT_CONFIG", "DEMO_NMEA", "ENV_PREFIX", "MUST_BE_DIR", "MUST_BE_FILE", "ROOT", "AssistantSection",
    "Config", "ConfigError", "ContentSection", "DatabaseSection", "DevicesSection", "FaceSection", "FeedSection",
    "FleetSection", "GnssSection", "HallSection", "KioskSection", "LivenessSection", "MapSection", "MqttSection",
    "SiteSection", "WebSection", "load_config",
]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "config.yaml"
ENV_PREFIX = "DANGJIAN__"

# ---------------------------------------------------------------------------------------------- loading


def _read_yaml(path: Path) -> tuple[dict, dict[tuple, Origin]]:
    data, origins = read_yaml(path, ConfigError)
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise ConfigError([f"{display_path(path)}:1: the top level must be a mapping of sections (site:, kiosk:, ...)"])
    return data, origins


def _merge(base: dict, over: dict, origins: dict, over_origins: dict, prefix: tuple = ()) -> None:
    """Deep-merge ``over`` into ``base``; lists and scalars replace, mappings merge."""
    for key, value in over.items():
        path = (*prefix, key)
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value, origins, over_origins, path)
            continue
        base[key] = value
        for p in [p for p in origins if p[: len(path)] == path]:
            del origins[p]
        origins.update({p: o for p, o in over_origins.items() if p[: len(path)] == path})


def _env_overrides(environ: dict[str, str]) -> tuple[dict, dict[tuple, Origin]]:
    data: dict = {}
    origins: dict[tuple, Origin] = {}
    for name, raw in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX) or len(name) == len(ENV_PREFIX):
            continue
        keys = tuple(k.lower() for k in name[len(ENV_PREFIX) :].split("__"))
        try:
            value = yaml.load(raw, Loader=MarkedSafeLoader) if raw.strip() else None
        except (yaml.YAMLError, RecursionError):
            # Not YAML, or YAML PyYAML cannot build (a date like 2024-13-45, "!!int x", "[[[[..."):
            # the text itself, which validation then names if the key wants something else.
            value = raw
        node = data
        for k in keys[:-1]:
            node = node.setdefault(k, {})
            if not isinstance(node, dict):
                break
        else:
            node[keys[-1]] = value
            # A name with a line break (possible with env(1), not with a shell) would split the message.
            origin = Origin(f"environment {name if name.isprintable() else repr(name)}", Path.cwd())
            for i in range(1, len(keys) + 1):
                origins.setdefault(keys[:i], origin)
    return data, origins


# ------------------------------------------------------------------------------------------- messages


# ----------------------------------------------------------------------------------------- public API


def load_config(path: str | Path | None = None, environ: dict[str, str] | None = None) -> Config:
    """Load the embedded default, overlay ``path`` (if given) and the environment, and validate.

    Raises ConfigError whose ``messages`` name file, line and key for every problem found.
    """
    environ = dict(os.environ if environ is None else environ)
    data, origins = _read_yaml(DEFAULT_CONFIG)
    default_where = display_path(DEFAULT_CONFIG)
    if path is not None:
        site_data, site_origins = _read_yaml(Path(path))
        _merge(data, site_data, origins, site_origins)
        default_where = display_path(Path(path))
    env_data, env_origins = _env_overrides(environ)
    _merge(data, env_data, origins, env_origins)

    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        messages = []
        for error in exc.errors(include_url=False):
            loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            # pydantic adds the union member tried ("int", "literal['auto',...]", "dict[...]") to the
            # location: drop it (no config key has a "[" in its name).
            loc = tuple(p for p in loc if not (isinstance(p, str) and (p in ("int", "str", "none") or "[" in p)))
            messages.append(f"{where(loc, origins, default_where)}: {dotted(loc)}: {describe(error)}")
        raise ConfigError(sorted(set(messages), key=messages.index)) from None

    problems: list[str] = []
    _resolve_paths(config, (), origins, default_where, problems)
    _check_public_keys(config, origins, default_where, problems)
    _demo_receiver(config)
    _demo_basemap(config)
    if problems:
        raise ConfigError(problems)
    return config


DEMO_NMEA = "gnss-demo.nmea"


def _demo_receiver(config: Config) -> None:
    """``gnss.source: demo`` replays the demo site's recorded receiver log, and only with a demo site: a
    real site that clears content.demo_site must not show a recorded BeiDou fix as its own position."""
    if config.gnss.source != "demo":
        return
    site = config.content.demo_site
    log_file = site / DEMO_NMEA if site is not None else None
    config.gnss.source = f"file:{log_file}" if log_file is not None and log_file.is_file() else None


def _demo_basemap(config: Config) -> None:
    """No ``map.geojson``: the demo site's basemap while a demo site is configured, else none (the map
    says so) — a real site must not show the demo town's streets as its own."""
    site = config.content.demo_site
    if config.map.geojson is None and site is not None and (site / "map.geojson").is_file():
        config.map.geojson = site / "map.geojson"


def _resolve_paths(model: BaseModel, loc: tuple, origins: dict, fallback: str, problems: list[str]) -> None:
    """Make every relative Path absolute against the directory of the file that set it; check existence."""
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        here = (*loc, name)
        base = _base_dir(here, origins)
        if isinstance(value, BaseModel):
            _resolve_paths(value, here, origins, fallback, problems)
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            for i, item in enumerate(value):
                _resolve_paths(item, (*here, i), origins, fallback, problems)
        elif isinstance(value, Path):
            resolved = value if value.is_absolute() else (base / value)
            setattr(model, name, resolved)
            need = (info.json_schema_extra or {}).get("must_exist") if isinstance(info.json_schema_extra, dict) else None
            if need == "file" and not _is(resolved, Path.is_file):
                problems.append(f"{where(here, origins, fallback)}: {dotted(here)}: file not found: {cut(str(resolved))}")
            if need == "dir" and not _is(resolved, Path.is_dir):
                problems.append(f"{where(here, origins, fallback)}: {dotted(here)}: folder not found: {cut(str(resolved))}")
        elif isinstance(value, list) and value and isinstance(value[0], Path):
            setattr(model, name, [v if v.is_absolute() else base / v for v in value])
        elif isinstance(value, dict) and value and all(isinstance(v, Path) for v in value.values()):
            setattr(model, name, {k: v if v.is_absolute() else base / v for k, v in value.items()})


def _check_public_keys(config: Config, origins: dict, fallback: str, problems: list[str]) -> None:
    """Every ``fleet.public_keys`` / ``fleet.admin_keys`` file must be an Ed25519 public key: the kiosk
    loads them at start, and an unreadable one must stop the configuration, not the kiosk."""
    from core.signing_keys import KeyFileError, load_public_key

    for name, paths in (("public_keys", config.fleet.public_keys), ("admin_keys", config.fleet.admin_keys)):
        for i, path in enumerate(paths):
            here = ("fleet", name, i)
            try:
                load_public_key(path)
            except KeyFileError as exc:
                problems.append(f"{where(here, origins, fallback)}: fleet.{name}[{i}]: {cut(str(exc))}")
            except ValueError as exc:  # a path the OS refuses (NUL byte)
                problems.append(f"{where(here, origins, fallback)}: fleet.{name}[{i}]: {cut(str(exc))}")


def _is(path: Path, check: Any) -> bool:
    """``path.is_file()`` / ``is_dir()`` that says False, not raises, for a name the OS refuses (longer
    than it allows: OSError; with a NUL byte: ValueError)."""
    try:
        return bool(check(path))
    except (OSError, ValueError):
        return False


def _base_dir(loc: tuple, origins: dict[tuple, Origin]) -> Path:
    for i in range(len(loc), 0, -1):
        if loc[:i] in origins:
            return origins[loc[:i]].base_dir
    return ROOT
