"""Fuzzing photos: truncated and bit-flipped files, decompression bombs, a PNG header on garbage, text
named .jpg, empty files, CMYK / 16-bit / grey / alpha / palette pictures and EXIF-rotated ones, built
from a real face photo of ``../shared/testdata/faces``. (a) Face enrolment from a folder gives every
photo a result, each rejected one with a reason, and never raises; (b) the news image cache caches a
sane JPEG or raises ImageRejected with the reason, never anything else. Face detection is real (dlib)
and slow, so enrolment sees few examples; the image cache sees many."""

from __future__ import annotations

import io
import os
import shutil
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from core.images import MAX_SIZE, ImageRejected, cache_image, image_cache_dir
from robot_assistant.face import quality
from robot_assistant.face.enroll import DUPLICATE, INCONSISTENT, UNKNOWN_MEMBER, Enroller, collect_sources
from tests.conftest import need
from tests.face.conftest import MemoEngine, seed_members
from tests.fuzz.helpers import fuzz, outcome

REASONS = {*quality.REASON_TEXT, INCONSISTENT, UNKNOWN_MEMBER, DUPLICATE}
SEED = "obama/3.jpg"  # 320x240, one clear 107 px face: detection takes ~50 ms


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int, rows: int = 50) -> bytes:
    """A valid PNG header for ``width`` x ``height`` grey pixels with only ``rows`` rows of data: a few kB
    that ask a decoder for width x height bytes."""
    body = zlib.compress(b"\x00" * (width + 1) * rows, 9)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + _png_chunk(b"IDAT", body) + _png_chunk(b"IEND", b""))


def encoded(im: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **options)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeds(testdata: Path) -> dict[str, bytes]:
    """Readable pictures of one face in many encodings (name → bytes; the suffix is the file's)."""
    raw = (testdata / "faces" / SEED).read_bytes()
    with Image.open(io.BytesIO(raw)) as im:
        rgb = im.convert("RGB")
    grey = rgb.convert("L")
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    return {
        "original.jpg": raw,
        "progressive.jpg": encoded(rgb, "JPEG", progressive=True, quality=90),
        "cmyk.jpg": encoded(rgb.convert("CMYK"), "JPEG", quality=90),
        "grey.png": encoded(grey, "PNG"),
        "grey16.png": encoded(grey.point(lambda v: v * 257, "I").convert("I;16"), "PNG"),
        "rgba.png": encoded(rgb.convert("RGBA"), "PNG"),
        "grey_alpha.png": encoded(rgb.convert("LA"), "PNG"),
        "palette.png": encoded(rgb.convert("P"), "PNG", transparency=0),
        "alpha.webp": encoded(rgb.convert("RGBA"), "WEBP", quality=90),
        "plain.bmp": encoded(rgb, "BMP"),
        "exif_rotated.jpg": encoded(rgb.transpose(Image.Transpose.ROTATE_90), "JPEG", quality=90, exif=exif.tobytes()),
    }


def broken(seeds: dict[str, bytes]) -> dict[str, bytes]:
    """Files that are not usable pictures, whatever their name says."""
    jpeg = seeds["original.jpg"]
    return {
        "empty.jpg": b"",
        "text.jpg": "这不是照片 / not a photo\n".encode() * 20,
        "truncated_header.jpg": jpeg[:200],
        "png_header_garbage.png": b"\x89PNG\r\n\x1a\n" + os.urandom(2000),
        "jpeg_header_garbage.jpg": b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8,
        "bomb_60000.png": png_declaring(60000, 60000),
        "bomb_20000.png": png_declaring(20000, 20000),
    }


@st.composite
def mutations(draw, seeds: dict[str, bytes]) -> tuple[str, bytes]:
    """A seed cut, bit-flipped, spliced with junk or with another format's header; or random bytes."""
    name = draw(st.sampled_from(sorted(seeds)))
    data = seeds[name]
    op = draw(st.sampled_from(["truncate", "flip", "insert", "zero", "header", "random"]))
    at = draw(st.integers(min_value=0, max_value=len(data)))
    if op == "truncate":
        data = data[:at]
    elif op == "flip":
        out = bytearray(data)
        for i, x in draw(st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(1, 255)),
                                  min_size=1, max_size=20)):
            out[i] ^= x
        data = bytes(out)
    elif op == "insert":
        data = data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]
    elif op == "zero":
        data = data[:at] + bytes(draw(st.integers(1, 4096))) + data[at + 4096:]
    elif op == "header":
        data = draw(st.sampled_from([b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"BM", b"RIFF\x00\x00\x00\x00WEBP",
                                     b"II*\x00", b"%!PS-Adobe-3.0 EPSF-3.0\n"])) + data[at:]
    else:
        data = draw(st.binary(max_size=2000))
    return name, data


# ------------------------------------------------------------------------------------- (b) image cache


def cached(source: Path, data_dir: Path) -> Path | None:
    """cache_image's contract: a small RGB JPEG, or ImageRejected with a reason; no temporary file left."""
    shutil.rmtree(image_cache_dir(data_dir), ignore_errors=True)  # the same URL would be answered from cache
    try:
        out = cache_image(str(source), data_dir, max_bytes=5_000_000, timeout=1)
    except ImageRejected as exc:
        assert isinstance(exc.reason, str) and exc.reason.strip() and "\n" not in exc.reason
        outcome("rejected: " + exc.reason.split(":")[0])
        out = None
    else:
        with Image.open(out) as im:
            assert im.format == "JPEG" and im.mode == "RGB"
            assert im.width <= MAX_SIZE[0] and im.height <= MAX_SIZE[1]
        outcome("cached")
    assert not [p.name for p in image_cache_dir(data_dir).glob(".*")]
    return out


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow's "Corrupt EXIF data" on mutated files
@fuzz(150)
@given(data=st.data())
def test_image_cache_mutated_photos(seeds, tmp_path_factory, data):
    folder = tmp_path_factory.getbasetemp() / "image-cache"
    folder.mkdir(exist_ok=True)
    name, content = data.draw(mutations(seeds))
    source = folder / name
    source.write_bytes(content)
    cached(source, folder / "data")


def test_image_cache_crafted_photos(seeds, tmp_path):
    for name, content in seeds.items():
        (tmp_path / name).write_bytes(content)
        out = cached(tmp_path / name, tmp_path / "data")
        assert out is not None, name
        if name == "exif_rotated.jpg":  # pixels stored 240x320, EXIF says turn them: cached as seen
            with Image.open(out) as im:
                assert im.size == (320, 240)
    for name, content in broken(seeds).items():
        (tmp_path / name).write_bytes(content)
        started = time.monotonic()
        assert cached(tmp_path / name, tmp_path / "data") is None, name
        assert time.monotonic() - started < 2, name
    for name in ("tiff.jpg", "eps.jpg"):  # decoders the cache never uses on downloaded data
        with Image.open(io.BytesIO(seeds["original.jpg"])) as im:
            (tmp_path / name).write_bytes(encoded(im, "TIFF" if name == "tiff.jpg" else "EPS"))
        assert cached(tmp_path / name, tmp_path / "data") is None


# --------------------------------------------------------------------------------------- (a) enrolment


@pytest.fixture(scope="module")
def engine():
    from robot_assistant.face.engine import DlibEngine, FaceEngineUnavailable

    real = DlibEngine()
    try:
        real.fr  # noqa: B018 — load now: a missing engine must skip (or fail in CI) here, not mid-test
    except FaceEngineUnavailable as exc:
        need(False, str(exc))
    return MemoEngine(real)


@pytest.fixture(scope="module")
def enrolment(engine, tmp_path_factory) -> Iterator:
    """An enroller with a throw-away template key and a database holding member OBAMA."""
    from core.db import Database
    from robot_assistant.face.templates import TemplateCipher, TemplateStore

    saved = os.environ.pop("DANGJIAN_FACE_KEY", None)
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('enrol') / 'face.db'}")
    with db.session() as s:
        seed_members(s, ["obama"])
        s.commit()
    yield db, Enroller(engine, TemplateStore(TemplateCipher(os.urandom(32))), jitters=1)
    db.dispose()
    if saved is not None:
        os.environ["DANGJIAN_FACE_KEY"] = saved


def enrol(enrolment, root: Path):
    """Enrol a folder; every photo in it has exactly one result, each rejection a known reason."""
    db, enroller = enrolment
    sources = collect_sources(root)
    with db.session() as s:
        report = enroller.enroll(s, sources, consent_version="fuzz-v1", actor="admin:fuzz")
    assert sorted(p.source for p in report.photos) == sorted(str(p) for ps in sources.values() for p in ps)
    for photo in report.photos:
        assert photo.ok or photo.reason in REASONS, photo
        outcome(f"photo: {photo.reason or 'ok'}")
    assert report.lines()
    return report


def test_enrol_crafted_photos(enrolment, seeds, tmp_path):
    member = tmp_path / "photos" / "OBAMA"
    member.mkdir(parents=True)
    for name, content in {**seeds, **broken(seeds)}.items():
        (member / name).write_bytes(content)
    (member / "webp_named.jpg").write_bytes(seeds["alpha.webp"])
    (member / "png_named.jpg").write_bytes(seeds["grey.png"])
    stranger = tmp_path / "photos" / "M9999"
    stranger.mkdir()
    (stranger / "1.jpg").write_bytes(seeds["original.jpg"])
    started = time.monotonic()
    report = enrol(enrolment, tmp_path / "photos")
    by_name = {Path(p.source).name: p for p in report.photos if p.member_number == "OBAMA"}
    for name in broken(seeds):
        assert by_name[name].reason == quality.UNREADABLE, by_name[name]
    for name in [*seeds, "webp_named.jpg", "png_named.jpg"]:  # every encoding of the face, EXIF honoured
        assert by_name[name].ok, by_name[name]
    assert {m.number: m.status for m in report.members} == {"OBAMA": "enrolled", "M9999": UNKNOWN_MEMBER}
    assert time.monotonic() - started < 20


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow's "Corrupt EXIF data" on mutated files
@fuzz(25)
@given(data=st.data())
def test_enrol_mutated_photos(enrolment, seeds, tmp_path_factory, data):
    root = tmp_path_factory.mktemp("mutated")
    name, content = data.draw(mutations(seeds))
    (root / "OBAMA").mkdir()
    (root / "OBAMA" / name).write_bytes(content)
    enrol(enrolment, root)


def test_decompression_bomb_is_unreadable_not_an_exception(tmp_path):
    """Was: read_rgb raised cv2.error for a PNG declaring 60000x60000 pixels (OpenCV's limit is 2**30),
    and decoded a 20000x20000 one (1.2 GB) below it."""
    for side in (60000, 20000, 8000):
        path = tmp_path / f"bomb_{side}.png"
        path.write_bytes(png_declaring(side, side))
        started = time.monotonic()
        assert quality.read_rgb(path) is None
        assert time.monotonic() - started < 1
    assert quality.read_rgb(tmp_path / "no\x00such.jpg") is None


class _Offline:
    """A requests session with no network: every download fails as a lost connection does."""

    def get(self, url, **kwargs):
        import requests

        raise requests.ConnectionError(f"offline test: {url[:40]}")


urls = st.one_of(
    st.text(max_size=60),
    st.text(max_size=40).map(lambda t: "file://" + t),
    st.text(max_size=40).map(lambda t: "file:///tmp/" + t),
    st.text(max_size=40).map(lambda t: "http://" + t),
    st.sampled_from(["file:///tmp/a%00b.jpg", "/tmp/a\x00b.jpg", "file:///" + "x" * 5000, "http://[::1", "http://[x]/a",
                     "https://", "file:", "file:///", "file:///dev/null", "file:///proc/self/mem", "//x/y", "relative.jpg",
                     "data:image/png;base64,AAAA", "javascript:alert(1)", "\\\\server\\share\\x.jpg"]),
)


@fuzz(150)
@given(url=urls)
def test_image_cache_urls(tmp_path_factory, url):
    """Whatever an enclosure names: ImageRejected with a short reason (the cache folder is never a source)."""
    data_dir = tmp_path_factory.getbasetemp() / "image-urls"
    shutil.rmtree(image_cache_dir(data_dir), ignore_errors=True)
    try:
        cache_image(url, data_dir, max_bytes=1_000_000, timeout=1, session=_Offline())
    except ImageRejected as exc:
        assert exc.reason.strip() and len(exc.reason) < 300, exc.reason
        outcome("rejected: " + exc.reason.split(" ")[0])
    else:
        outcome("cached")  # a path that happens to name a picture on this machine


@pytest.mark.parametrize("url", ["file:///tmp/a%00b.jpg", "/tmp/a\x00b.jpg", "http://[::1"])
def test_broken_image_urls_are_rejected(tmp_path, url):
    """Was: ValueError (a NUL byte in the path; urlsplit's "Invalid IPv6 URL") instead of ImageRejected."""
    with pytest.raises(ImageRejected, match="not a valid file name|malformed URL"):
        cache_image(url, tmp_path, max_bytes=1_000_000, timeout=1, session=_Offline())
