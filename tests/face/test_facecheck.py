"""``launcher.py face-check``: the shipped policy on both photo sets meets issue #13's targets, and the
folder problems a site will make are clear errors (exit 2)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.face.test_reports_cli import cli

KEYS = {"engine", "genuine_auto_rate", "genuine_asked_rate", "wrong_member", "strangers_accepted",
        "strangers_asked_rate", "photos", "identities"}


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("face-check-cache")


@pytest.mark.parametrize("name", ["faces_east_asian", "faces"])
def test_shipped_policy_meets_the_targets(name, testdata: Path, sface, cache: Path, capsys):
    assert cli("face-check", str(testdata / name), "--json", "--cache", str(cache)) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= KEYS, KEYS - set(out)
    assert out["engine"] == "sface" and out["identities"] >= 8 and out["photos"] >= 20
    assert out["strangers_accepted"] == 0 and out["strangers_asked_rate"] <= 0.05
    assert out["genuine_auto_rate"] >= 0.95 and out["wrong_member"] == 0
    (one,) = out["sets"]
    assert one["genuine_distances"]["max"] < out["policy"]["accept_tolerance"] < one["stranger_distances"]["min"]
    rec = one["recommended"]
    assert rec["lowest"] <= rec["accept_tolerance"] <= rec["highest"]


def test_text_report_and_folder_problems(testdata: Path, sface, cache: Path, tmp_path: Path, capsys):
    site = tmp_path / "site"
    for name, count in (("obama", 3), ("kit_harington", 2), ("rose_leslie", 1)):
        (site / name).mkdir(parents=True)
        for p in sorted((testdata / "faces" / name).iterdir())[:count]:
            shutil.copy(p, site / name / p.name)
    (site / "README.txt").write_text("top-level files are ignored")
    assert cli("face-check", str(site), "--cache", str(cache)) == 0
    text = capsys.readouterr().out
    assert "used only as strangers (one photo each): rose_leslie" in text
    assert "members (genuine, 5 probes)" in text and "strangers (6 probes): signed in 0" in text
    assert "engine sface" in text

    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("face-check", str(empty)) == 2
    assert "no photos found" in capsys.readouterr().err
    assert cli("face-check", str(tmp_path / "nowhere")) == 2
    assert "not a folder" in capsys.readouterr().err
    (site / "obama" / "notes.docx").write_bytes(b"PK\x03\x04")
    (site / "kit_harington" / "broken.jpg").write_bytes(b"\xff\xd8 not really")
    assert cli("face-check", str(site), "--json") == 2
    err = capsys.readouterr().err
    assert "2 file(s) are not readable images" in err and "notes.docx" in err and "broken.jpg" in err
    for p in (site / "obama" / "notes.docx", site / "kit_harington" / "broken.jpg"):
        p.unlink()
    shutil.rmtree(site / "kit_harington")
    shutil.rmtree(site / "rose_leslie")
    assert cli("face-check", str(site)) == 2
    assert "only one person" in capsys.readouterr().err
