"""The site facts a content file uses, read from its site file.

Why apart from ``core.sitefacts``: filling ``${name}`` needs nothing but the facts, and the YAML reader
uses that; reading the facts needs the YAML reader and the site file's model. Keeping the two halves in
two modules keeps the imports one way (this module → yamlfile → sitefacts).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.sitefacts import SITE_FILE
from core.sitefiles import SiteFile
from core.yamlfile import YamlFileError, display_path, load_model


def facts_of(site: Any) -> dict[str, str]:
    """The facts of a validated ``core.sitefiles.SiteFile``: its ``facts:`` block and ``org_<field>``."""
    facts = {f"org_{k}": str(v) for k, v in site.organisation.model_dump().items() if v}
    facts.update(site.facts)
    return facts


_cache: dict[tuple[Path, int, int], dict[str, str]] = {}


def facts_from_file(site_file: Path) -> dict[str, str]:
    """The facts of a site file (validated; YamlFileError names file:line:key when it is wrong). Cached
    by path, size and modification time: the kiosk, the assistant and the hall each load several files
    that share one site file."""
    path = Path(site_file).resolve()
    try:
        st = path.stat()
    except OSError:
        raise YamlFileError([f"{display_path(path)}: site file not found (it holds the site facts)"]) from None
    key = (path, st.st_size, st.st_mtime_ns)
    if key not in _cache:
        _cache.clear()
        _cache[key] = facts_of(load_model(path, SiteFile))
    return dict(_cache[key])


def facts_beside(content_file: Path) -> dict[str, str]:
    """The facts for a content file of a site folder: those of ``site.yaml`` in the same folder, or none
    (then any ``${name}`` in the file is reported as an unknown fact)."""
    site = Path(content_file).resolve().parent / SITE_FILE
    return facts_from_file(site) if site.is_file() else {}


def facts_for_scene(scene_file: Path, data: Any) -> dict[str, str]:
    """The facts for a hall scene file: those of the site file its ``hall.site`` names (relative to the
    scene file), or none. ``data`` is the parsed scene. YamlFileError carries the site file's problems."""
    hall = data.get("hall") if isinstance(data, dict) else None
    site = hall.get("site") if isinstance(hall, dict) else None
    if not isinstance(site, str) or not site:
        return {}
    return facts_from_file(Path(scene_file).resolve().parent / site)
