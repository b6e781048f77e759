"""Enrolling members' faces from a folder or a CSV, with reasons for every rejected photo.

Why so strict: a bad template is worse than none. It lowers the bar for strangers (a blurred photo
sits "near" many faces), and a photo of the wrong person filed under a member signs that person in.
So each photo passes the quality checks; a member's photos must agree with each other; a member who
would be confused with another enrolled member is held back as a possible duplicate; and nothing is
stored without a recorded consent (DESIGN: biometric data — encrypted, consented, deletable).

Sources:
* a folder with one sub-folder per member number: ``photos/M0101/1.jpg``;
* a CSV with a header naming ``member_number`` (or ``number``, 编号, 党员编号) and ``photo`` (or ``path``,
  照片) columns; relative paths are relative to the CSV file. The file may be UTF-8 (with or without the
  BOM Excel writes for "CSV UTF-8"), UTF-16 with a BOM, or GB18030/GBK — what Excel on a Chinese Windows
  saves as plain "CSV"; anything else is refused with one line, never read as mojibake.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import audit
from core.models import Consent, Member, utcnow
from robot_assistant.face.calibration import IMAGE_SUFFIXES
from robot_assistant.face.engine import FaceEngine
from robot_assistant.face.quality import UNREADABLE, QualityLimits, assess, read_rgb
from robot_assistant.face.templates import TemplateIndex, TemplateStore

INCONSISTENT = "inconsistent"
UNKNOWN_MEMBER = "unknown_member"
DUPLICATE = "possible_duplicate"

Progress = Callable[[int, int, str], None]
"""``progress(done, total, what)``, called after each photo."""


class EnrollError(ValueError):
    """The enrolment cannot start (no consent version, unreadable source); the message says why."""


@dataclass
class PhotoResult:
    member_number: str
    source: str
    ok: bool
    reason: str | None = None
    detail: str = ""


@dataclass
class MemberResult:
    number: str
    status: str
    """enrolled | no_usable_photo | unknown_member | possible_duplicate"""
    templates: int = 0
    detail: str = ""


@dataclass
class EnrollReport:
    members: list[MemberResult] = field(default_factory=list)
    photos: list[PhotoResult] = field(default_factory=list)

    @property
    def enrolled(self) -> list[str]:
        return [m.number for m in self.members if m.status == "enrolled"]

    def rejected(self) -> list[PhotoResult]:
        return [p for p in self.photos if not p.ok]

    def failed(self) -> list[MemberResult]:
        return [m for m in self.members if m.status != "enrolled"]

    def lines(self) -> list[str]:
        out = [f"{m.number}: {m.status}" + (f" ({m.templates} templates)" if m.templates else "")
               + (f" — {m.detail}" if m.detail else "") for m in self.members]
        out += [f"  rejected {p.source}: {p.reason}" + (f" ({p.detail})" if p.detail else "") for p in self.rejected()]
        return out


NUMBER_COLUMNS = ("member_number", "number", "党员编号", "编号")
PHOTO_COLUMNS = ("photo", "path", "照片", "照片路径")


def _cjk_share(text: str) -> float:
    """Share of the non-ASCII characters that are Chinese (ideographs, CJK and full-width punctuation)."""
    wide = [c for c in text if ord(c) > 127]
    if not wide:
        return 1.0
    cjk = sum(1 for c in wide if "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" or "\u3000" <= c <= "\u303f"
              or "\uff00" <= c <= "\uffef" or "\U00020000" <= c <= "\U0002ffff")
    return cjk / len(wide)


def read_csv_text(path: Path) -> str:
    """The CSV's text. Why not a detector alone: on a few short lines of GBK (a header and some names)
    charset-normalizer answers cp949 or big5, so the order is fixed instead — UTF-8 (BOM or not), UTF-16
    with its BOM, then GB18030 (a superset of GBK and GB2312), accepted only if what it decodes to is
    Chinese; anything else raises ``EnrollError`` with what would work."""
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    else:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
        try:
            text = data.decode("gb18030")
            if _cjk_share(text) >= 0.9:
                return text
        except UnicodeDecodeError:
            pass
    raise EnrollError(f"{path}: 读不出文件编码，请在 Excel 中另存为“CSV UTF-8（逗号分隔）” / cannot tell the text "
                      "encoding (not UTF-8, UTF-16 or GB18030/GBK): save it from Excel as 'CSV UTF-8 (Comma "
                      "delimited)'")


def collect_sources(path: Path) -> dict[str, list[Path]]:
    """Member number → photo paths, from a folder of per-member folders or from a CSV file (see the module
    docstring for the columns and encodings). Raises ``EnrollError`` when the source cannot be used."""
    path = Path(path)
    if path.is_dir():
        try:
            return {d.name: sorted(p for p in d.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
                    for d in sorted(path.iterdir()) if d.is_dir() and not d.name.startswith((".", "_"))}
        except OSError as exc:
            raise EnrollError(f"{path}: cannot read the folder ({exc.strerror or exc})") from None
    if path.is_file() and path.suffix.lower() == ".csv":
        try:
            text = read_csv_text(path)
        except OSError as exc:
            raise EnrollError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
        out: dict[str, list[Path]] = {}
        reader = csv.DictReader(io.StringIO(text, newline=""))
        cols = {c.strip().lower(): c for c in reader.fieldnames or [] if c}
        num_col = next((cols[c] for c in NUMBER_COLUMNS if c in cols), None)
        photo_col = next((cols[c] for c in PHOTO_COLUMNS if c in cols), None)
        if not num_col or not photo_col:
            raise EnrollError(f"{path}: the first line must name the columns member_number and photo (编号, 照片); "
                              f"it has {', '.join(map(repr, reader.fieldnames or [])) or 'nothing'}")
        for row in reader:
            number, photo = (row.get(num_col) or "").strip(), (row.get(photo_col) or "").strip()
            if number and photo:
                p = Path(photo)
                out.setdefault(number, []).append(p if p.is_absolute() else path.parent / p)
        return out
    why = "no such file or folder" if not path.exists() else "not a folder of member folders nor a .csv file"
    raise EnrollError(f"{path}: {why}: name a folder with one sub-folder per member number (photos/M0101/1.jpg) "
                      "or a CSV with member_number,photo columns")


@dataclass
class Enroller:
    """Runs enrolment; every threshold is a constructor argument (see FaceSettings for defaults)."""

    engine: FaceEngine
    store: TemplateStore
    limits: QualityLimits = field(default_factory=QualityLimits)
    jitters: int = 10
    duplicate_tolerance: float = 0.36
    consistency_tolerance: float = 0.6
    keep_photos: bool = False
    aggregate: str = "centroid"

    def __post_init__(self) -> None:
        made_by = getattr(self.engine, "template_model", None)
        if made_by is not None and (made_by.engine, made_by.dim) != (self.store.model.engine, self.store.model.dim):
            raise EnrollError(f"the template store is for {self.store.model.key} but the engine makes "
                              f"{made_by.key}: build the store with engine.template_model")

    def enroll(self, session: Session, sources: dict[str, list[Path]], *, consent_version: str, actor: str,
               terminal_id: str = "", replace: bool = True, allow_duplicates: bool = False,
               progress: Progress | None = None) -> EnrollReport:
        if not consent_version or not consent_version.strip():
            raise EnrollError("a consent text version is required: enrol only members who signed the consent "
                              "form, and name its version (face.consent_version or --consent)")
        report = EnrollReport()
        total = sum(len(v) for v in sources.values())
        done = 0
        existing = self.store.load_index(session, self.aggregate)
        batch: dict[str, tuple[str, np.ndarray]] = {}
        for number, paths in sources.items():
            member = session.scalars(select(Member).where(Member.number == number)).first()
            if member is None:
                report.members.append(MemberResult(number, UNKNOWN_MEMBER, detail="no such member number"))
                for p in paths:
                    done += 1
                    report.photos.append(PhotoResult(number, str(p), False, UNKNOWN_MEMBER))
                    if progress:
                        progress(done, total, str(p))
                continue
            good: list[tuple[Path, np.ndarray, dict, np.ndarray]] = []
            for p in paths:
                result, item = self._photo(number, p)
                report.photos.append(result)
                if item is not None:
                    good.append(item)
                done += 1
                if progress:
                    progress(done, total, str(p))
            good = self._consistent(number, good, report)
            if not good:
                report.members.append(MemberResult(number, "no_usable_photo", detail=_why_none(number, paths, report)))
                continue
            centroid = np.mean([g[1] for g in good], axis=0)
            dup = self._duplicate_of(member, centroid, existing, batch)
            if dup and not allow_duplicates:
                report.members.append(MemberResult(number, DUPLICATE, detail=dup))
                audit(session, actor, "face.enroll_refused", f"member:{number}", terminal_id, reason=DUPLICATE,
                      detail=dup)
                session.commit()
                continue
            self._store(session, member, good, consent_version, actor, replace)
            audit(session, actor, "face.enroll", f"member:{number}", terminal_id, templates=len(good),
                  rejected=len(paths) - len(good), consent_version=consent_version, jitters=self.jitters,
                  photos_kept=self.keep_photos)
            session.commit()
            batch[number] = (member.name, centroid)
            report.members.append(MemberResult(number, "enrolled", len(good)))
        return report

    def _photo(self, number: str, path: Path) -> tuple[PhotoResult, tuple | None]:
        rgb = read_rgb(path)
        if rgb is None:
            return PhotoResult(number, str(path), False, UNREADABLE), None
        q = assess(rgb, self.engine, self.limits)
        if not q.ok:
            detail = {"face_too_small": f"{q.face_px} px < {self.limits.min_face_px}",
                      "blurry": f"sharpness {q.sharpness:.0f} < {self.limits.min_sharpness:.0f}",
                      "not_frontal": f"yaw {q.yaw:+.2f}, roll {q.roll:+.0f}°",
                      "multiple_faces": f"{q.faces} faces"}.get(q.reason or "", "")
            return PhotoResult(number, str(path), False, q.reason, detail), None
        enc = self.engine.encode(rgb, [q.box], self.jitters)[0]
        return PhotoResult(number, str(path), True), (path, enc, q.summary(), rgb)

    def _consistent(self, number: str, good: list, report: EnrollReport) -> list:
        """Drop photos that do not look like the member's other photos (a wrong file in the folder)."""
        if len(good) < 2:
            return good
        encs = np.array([g[1] for g in good])
        metric = self.store.model.metric
        keep = []
        for i, g in enumerate(good):
            others = TemplateIndex.from_templates([(0, e) for e in np.delete(encs, i, axis=0)], {0: (number, "")},
                                                  "centroid", metric, self.store.model)
            d = float(others.distances(encs[i])[0])
            if d <= self.consistency_tolerance:
                keep.append(g)
            else:
                self._mark(report, number, g[0], INCONSISTENT, f"{d:.2f} from the member's other photos")
        return keep

    @staticmethod
    def _mark(report: EnrollReport, number: str, path: Path, reason: str, detail: str) -> None:
        for r in report.photos:
            if r.member_number == number and r.source == str(path):
                r.ok, r.reason, r.detail = False, reason, detail

    def _duplicate_of(self, member: Member, centroid: np.ndarray, existing,
                      batch: dict[str, tuple[str, np.ndarray]]) -> str:
        """Another member this face would be confused with, as text naming both members, the distance
        and the override; empty when none. Compared with the same engine's templates only (``existing``
        is this engine's index), in the engine's own metric."""
        found: tuple[str, str, float] | None = None
        if len(existing):
            d = existing.distances(centroid)
            for i in np.argsort(d):
                if int(existing.member_ids[i]) == member.id:
                    continue
                if d[i] <= self.duplicate_tolerance:
                    found = (*existing.members[int(existing.member_ids[i])], float(d[i]))
                break
        if found is None and batch:
            numbers = [n for n in batch if n != member.number]
            if numbers:
                probe = TemplateIndex.from_templates([(i, batch[n][1]) for i, n in enumerate(numbers)],
                                                     {i: (n, batch[n][0]) for i, n in enumerate(numbers)}, "centroid",
                                                     existing.metric, existing.model)
                hit = probe.search(centroid).best
                if hit is not None and hit.distance <= self.duplicate_tolerance:
                    found = (hit.number, hit.name, hit.distance)
        if found is None:
            return ""
        number, name, distance = found
        engine = getattr(self.engine, "name", "")
        return (f"{member.number} {member.name} looks like {number} {name}".rstrip() +
                f" (distance {distance:.2f} <= {self.duplicate_tolerance}, {engine} engine): not enrolled; "
                f"if they are different people, enrol with --allow-duplicates")

    def _store(self, session: Session, member: Member, good: list, consent_version: str, actor: str,
               replace: bool) -> None:
        if replace:
            self.store.delete_templates(session, member.id)
        active = session.scalars(select(Consent).where(Consent.member_id == member.id,
                                                       Consent.withdrawn_at.is_(None))).first()
        if active is None or active.text_version != consent_version:
            if active is not None:
                active.withdrawn_at, active.withdrawn_by = utcnow(), f"superseded by {consent_version}"
            session.add(Consent(member_id=member.id, text_version=consent_version, given_at=utcnow(),
                                recorded_by=actor))
        for path, enc, quality, rgb in good:
            self.store.add_template(session, member, enc, source=path.name, quality=quality, jitters=self.jitters)
            if self.keep_photos:
                self.store.add_photo(session, member, _jpeg(rgb), source=path.name)


def _why_none(number: str, paths: list[Path], report: EnrollReport) -> str:
    """Why none of a member's photos was usable, counted by reason: 'blurry 2, face_too_small 1'."""
    if not paths:
        return f"no photos ({', '.join(sorted(IMAGE_SUFFIXES))})"
    reasons: dict[str, int] = {}
    for r in report.photos:
        if r.member_number == number and not r.ok:
            reasons[r.reason or "?"] = reasons.get(r.reason or "?", 0) + 1
    return f"{len(paths)} photo(s): " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1]))


def _jpeg(rgb: np.ndarray, max_side: int = 640) -> bytes:
    scale = min(1.0, max_side / max(rgb.shape[:2]))
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else rgb
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])
    return buf.tobytes() if ok else b""


# ------------------------------------------------------------------------------- engine switches

READY, REENCODABLE, NEEDS_PHOTOS, NOT_ENROLLED = "ready", "reencodable", "needs_new_photos", "not_enrolled"


@dataclass
class EngineStatus:
    number: str
    name: str
    status: str
    """ready | reencodable (photos kept) | needs_new_photos (templates of another engine only) | not_enrolled"""
    models: tuple[str, ...] = ()
    photos: int = 0


def engine_status(session: Session, store: TemplateStore) -> list[EngineStatus]:
    """Per member: can the running engine (``store.model``) recognise them? After an engine switch, members
    with only another engine's templates and no kept photos must be enrolled again; until then they sign
    in with member number + PIN."""
    from sqlalchemy import func

    from core.models import FacePhoto

    models = store.template_models(session)
    photos = dict(session.execute(select(FacePhoto.member_id, func.count()).group_by(FacePhoto.member_id)).all())
    out = []
    for m in session.scalars(select(Member).order_by(Member.number)):
        keys = models.get(m.id, set())
        if any(store.model.accepts(k) for k in keys):
            status = READY
        elif photos.get(m.id):
            status = REENCODABLE
        elif keys:
            status = NEEDS_PHOTOS
        else:
            status = NOT_ENROLLED
        out.append(EngineStatus(m.number, m.name, status, tuple(sorted(keys)), photos.get(m.id, 0)))
    return out


def reencode_from_photos(session: Session, enroller: Enroller, *, actor: str, terminal_id: str = "",
                         numbers: list[str] | None = None) -> dict[str, int]:
    """Make the running engine's templates from the kept (encrypted) enrolment photos of every member who
    has photos but no template of this engine; commits per member. Returns member number -> templates
    made (0: no photo passed the quality checks: they need new photos)."""
    from core.models import FacePhoto

    done: dict[str, int] = {}
    store = enroller.store
    for status in engine_status(session, store):
        if status.status != REENCODABLE or (numbers is not None and status.number not in numbers):
            continue
        member = session.scalars(select(Member).where(Member.number == status.number)).one()
        made = 0
        for row in session.scalars(select(FacePhoto).where(FacePhoto.member_id == member.id).order_by(FacePhoto.id)):
            data = np.frombuffer(store.photo(row), np.uint8)
            bgr = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
            if bgr is None:
                continue
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            q = assess(rgb, enroller.engine, enroller.limits)
            if not q.ok:
                continue
            enc = enroller.engine.encode(rgb, [q.box], enroller.jitters)[0]
            store.add_template(session, member, enc, source=row.source, quality=q.summary(), jitters=enroller.jitters)
            made += 1
        audit(session, actor, "face.reencode", f"member:{member.number}", terminal_id, templates=made,
              model=store.model.key)
        session.commit()
        done[member.number] = made
    return done
