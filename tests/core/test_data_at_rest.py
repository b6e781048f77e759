"""Data at rest (#17 Build 6), on a real terminal start (``open_terminal``: data folder, SQLite, migrations):
the data folder is 0700 and the database with its -wal/-shm 0600 from the first start and fixed on the next
one; the face key lives beside the data folder by default, an older version's key inside it is moved there
and still opens its templates; doctor warns while a key sits with the data and while no admin PIN is set;
(the greeting banner on any screen: tests/kiosk/test_greeting_banner.py)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from core.config import load_config
from core.doctor import DEGRADED, OK, check_admin_pin, check_face_key, check_system
from core.facecrypt import (
    FaceCipher,
    create_key_file,
    default_key_file,
    key_file_for,
    legacy_key_file,
    load_key,
)
from core.terminal import open_terminal


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def config_for(tmp_path: Path, **extra: str):
    env = {"DANGJIAN__SITE__DATA_DIR": str(tmp_path / "data"), **extra}
    return load_config(environ=env)


@pytest.fixture(autouse=True)
def no_key_in_env(monkeypatch):
    monkeypatch.delenv("DANGJIAN_FACE_KEY", raising=False)


def write_something(terminal) -> None:
    with terminal.db.session() as s:  # a write makes SQLite create the -wal and -shm files
        s.execute(text("create table if not exists probe (x integer)"))
        s.execute(text("insert into probe values (1)"))


def test_data_folder_and_database_are_private_from_the_first_start(tmp_path: Path):
    config = config_for(tmp_path)
    terminal, _ = open_terminal(config, load_demo=False)
    try:
        write_something(terminal)
        data = config.site.data_dir
        db = data / "dangjian.db"
        assert mode(data) == 0o700 and mode(db) == 0o600
        side = [db.with_name(db.name + s) for s in ("-wal", "-shm")]
        assert all(p.exists() for p in side) and [mode(p) for p in side] == [0o600, 0o600]
    finally:
        terminal.db.dispose()


def test_wider_modes_left_by_an_older_version_are_narrowed_on_start(tmp_path: Path):
    config = config_for(tmp_path)
    terminal, _ = open_terminal(config, load_demo=False)
    write_something(terminal)
    data = config.site.data_dir
    files = [data / "dangjian.db", data / "dangjian.db-wal", data / "dangjian.db-shm"]
    for p in files:
        p.chmod(0o644)
    data.chmod(0o755)
    terminal.db.dispose()
    assert check_system(config)[-1].status == DEGRADED  # doctor says so until the next start
    terminal, _ = open_terminal(config, load_demo=False)
    try:
        write_something(terminal)
        assert mode(data) == 0o700
        assert [mode(p) for p in files if p.exists()] == [0o600] * len([p for p in files if p.exists()])
        assert check_system(config)[-1].status == OK
    finally:
        terminal.db.dispose()


def test_the_face_key_lives_outside_the_data_folder_and_an_old_one_is_moved_not_lost(tmp_path: Path):
    config = config_for(tmp_path)
    data = config.site.data_dir
    assert key_file_for(config) == default_key_file(data) == tmp_path / "data-keys" / "face.key"
    # an older version kept its key in the data folder and encrypted a template with it
    data.mkdir(mode=0o700)
    old = create_key_file(legacy_key_file(data))
    blob = FaceCipher(load_key(old)).encrypt(b"template bytes", "template", 7)
    assert key_file_for(config) == old  # still found there until it is moved
    check = check_face_key(config)
    assert check.status == DEGRADED and "lies in the data folder" in check.detail and "moves it" in check.fix
    terminal, _ = open_terminal(config, load_demo=False)
    terminal.db.dispose()
    new = default_key_file(data)
    assert not old.exists() and new.is_file() and mode(new) == 0o600 and mode(new.parent) == 0o700
    assert key_file_for(config) == new
    assert FaceCipher(load_key(key_file_for(config))).decrypt(blob, "template", 7) == b"template bytes"
    assert check_face_key(config).status == OK
    # a second start changes nothing; a stray second key in the data folder is reported, never used or moved
    open_terminal(config, load_demo=False)[0].db.dispose()
    stray = create_key_file(legacy_key_file(data))
    open_terminal(config, load_demo=False)[0].db.dispose()
    assert stray.is_file() and load_key(key_file_for(config)) == load_key(new)
    check = check_face_key(config)
    assert check.status == DEGRADED and "another key file remains" in check.detail


def test_a_configured_key_inside_the_data_folder_is_reported(tmp_path: Path):
    inside = tmp_path / "data" / "keys" / "face.key"
    config = config_for(tmp_path, DANGJIAN__FACE__KEY_FILE=str(inside))
    create_key_file(inside)
    open_terminal(config, load_demo=False)[0].db.dispose()
    assert inside.is_file()  # configured there: left where it is
    check = check_face_key(config)
    assert check.status == DEGRADED and "face.key_file" in check.fix
    from robot_assistant.face.settings import FaceSettings

    assert FaceSettings.from_config(config).key_file == inside
    assert FaceSettings.from_config(config_for(tmp_path / "other")).key_file == tmp_path / "other" / "data-keys" / "face.key"


def test_doctor_warns_while_no_admin_pin_is_set(tmp_path: Path):
    from core.secrets import hash_pin

    check = check_admin_pin(config_for(tmp_path))
    assert check.status == DEGRADED and "launcher.py pin-hash" in check.fix and "kiosk.admin_pin_hash" in check.fix
    assert check_admin_pin(config_for(tmp_path, DANGJIAN__KIOSK__ADMIN_PIN_HASH=hash_pin("135790"))).status == OK


def test_setup_says_how_to_set_the_admin_pin(tmp_path: Path):
    """setup.sh's check after init, run as setup runs it (the same interpreter and configuration)."""
    import re
    import subprocess
    import sys

    script = (Path(__file__).resolve().parents[2] / "setup.sh").read_text()
    check = re.search(r"if ! \.venv/bin/python -c '(.*?)' \\", script, re.S)
    assert check and "launcher.py pin-hash" in script[check.end():check.end() + 600]
    env = {"DANGJIAN__SITE__DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    root = Path(__file__).resolve().parents[2]
    unset = subprocess.run([sys.executable, "-c", check.group(1)], cwd=root, env=env)
    assert unset.returncode == 1  # no PIN: setup prints the instructions
    from core.secrets import hash_pin

    done = subprocess.run([sys.executable, "-c", check.group(1)], cwd=root,
                          env={**env, "DANGJIAN__KIOSK__ADMIN_PIN_HASH": hash_pin("135790")})
    assert done.returncode == 0
