"""Caching a news item's picture on the kiosk's disk, safely.

Why: the kiosk must show a news picture when the network is gone, and the picture comes from outside, so
it is treated like any untrusted upload. It is downloaded with a byte cap (read in chunks, the transfer
stopped once the cap is passed, whatever ``Content-Length`` claimed), opened only by a few raster decoders
(never EPS, which would run Ghostscript), checked with ``verify()``, refused above ``MAX_PIXELS``
(a small file can declare a gigapixel canvas: a decompression bomb), re-encoded as an RGB JPEG no larger
than the kiosk's 1280x720 news panel, and moved into place with ``os.replace`` so a crash never leaves a
half-written picture that a screen would try to draw.

The cached file is named by the SHA-1 of the image URL, so the same picture is fetched once however many
times the feed is read.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import time
import warnings
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import requests
from PIL import Image, ImageOps

log = logging.getLogger(__name__)

MAX_SIZE = (1280, 720)
"""The cached picture fits inside this box (aspect kept): the news panel's size at 1080p."""

MAX_PIXELS = 40_000_000
"""Pictures declaring more pixels than this (e.g. 8000x5000) are refused before they are decoded.
Checked here rather than by lowering the process-wide ``Image.MAX_IMAGE_PIXELS``, which the hall's
texture loading shares; Pillow's own bomb error (at twice its limit) is caught as well."""

ALLOWED_FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP")
"""Decoders Pillow may use on downloaded data; the others (EPS, PSD, ...) are not needed for news."""

BACKGROUND = (250, 246, 239)
"""Transparent pixels are laid on the kiosk's warm white (#FAF6EF), not on black."""

_CHUNK = 64 * 1024


class ImageRejected(Exception):
    """A picture was not cached. ``reason`` says why in a few words (oversized, not an image, HTTP 404,
    ...); ``transient`` is True when trying again later may work (network trouble, a 5xx)."""

    def __init__(self, reason: str, transient: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


def image_cache_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "cache" / "images"


def cached_path(url: str, data_dir: Path) -> Path:
    """Where the picture of ``url`` is (or will be) cached."""
    return image_cache_dir(data_dir) / f"{hashlib.sha1(url.encode('utf-8')).hexdigest()}.jpg"


def local_path(url: str) -> Path | None:
    """The file a ``file://`` URL or a plain path names; None for any other URL."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            return None
        return Path(url2pathname(unquote(parts.path)))
    if parts.scheme == "" or (len(parts.scheme) == 1 and os.name == "nt"):
        return Path(url)
    return None


def cache_image(url: str, data_dir: Path, *, max_bytes: int, timeout: float,
                session: requests.Session | None = None) -> Path:
    """Fetch (http/https) or read (file:// or a path) the picture at ``url`` and cache it as a JPEG that
    fits 1280x720. Returns the cached file's path; raises ImageRejected with the reason otherwise.

    An already cached picture is returned without fetching it again.
    """
    target = cached_path(url, data_dir)
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        source = local_path(url)
        scheme = urlsplit(url).scheme
    except ValueError:  # urlsplit refuses some broken URLs ("http://[::1") by raising
        raise ImageRejected(f"malformed URL {url[:80]!r}") from None
    if source is not None:
        if not source.is_absolute():
            raise ImageRejected(f"relative path {url[:80]!r} (resolve it against the feed first)")
        try:
            size = source.stat().st_size
        except OSError as exc:
            raise ImageRejected(f"cannot read {str(source)[:80]!r}: {exc.strerror or exc}") from None
        except ValueError:  # a NUL byte in the path (file:///a%00b)
            raise ImageRejected(f"cannot read {str(source)[:80]!r}: not a valid file name") from None
        if size > max_bytes:
            raise ImageRejected(f"oversized: {size} bytes > {max_bytes}")
        _normalise(source, target)
        return target
    if scheme not in ("http", "https"):
        raise ImageRejected(f"unsupported URL scheme in {url[:80]!r}")
    download = _download(url, target.parent, max_bytes, timeout, session or requests.Session())
    try:
        _normalise(download, target)
    finally:
        download.unlink(missing_ok=True)
    return target


def _download(url: str, folder: Path, max_bytes: int, timeout: float, session: requests.Session) -> Path:
    """Stream ``url`` into a temporary file in ``folder``, stopping past ``max_bytes``."""
    try:
        with session.get(url, stream=True, timeout=timeout) as response:
            if response.status_code != 200:
                raise ImageRejected(f"HTTP {response.status_code}", transient=response.status_code >= 500)
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise ImageRejected(f"oversized: Content-Length {declared} > {max_bytes}")
            fd, name = tempfile.mkstemp(dir=folder, prefix=".download-", suffix=".part")
            path = Path(name)
            # The read timeout applies per read: a server trickling bytes is bounded by this deadline.
            deadline = time.monotonic() + timeout * 6
            try:
                received = 0
                with os.fdopen(fd, "wb") as out:
                    for chunk in response.iter_content(_CHUNK):
                        received += len(chunk)
                        if received > max_bytes:
                            raise ImageRejected(f"oversized: more than {max_bytes} bytes")
                        if time.monotonic() > deadline:
                            raise ImageRejected(f"timed out: still arriving after {timeout * 6:g} s", True)
                        out.write(chunk)
            except BaseException:
                path.unlink(missing_ok=True)
                raise
            return path
    except requests.Timeout:
        raise ImageRejected(f"timed out after {timeout:g} s", transient=True) from None
    except requests.RequestException as exc:
        raise ImageRejected(f"download failed: {type(exc).__name__}", transient=True) from None


def _normalise(source: Path, target: Path) -> None:
    """Check that ``source`` is a sane raster picture and write it to ``target`` as a downscaled RGB JPEG."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source, formats=ALLOWED_FORMATS) as probe:
                probe.verify()
            with Image.open(source, formats=ALLOWED_FORMATS) as im:
                if im.width * im.height > MAX_PIXELS:
                    raise ImageRejected(f"decompression bomb: {im.width}x{im.height} pixels")
                im.draft("RGB", MAX_SIZE)  # JPEG decodes at a reduced scale: less memory and time
                picture = _to_rgb(ImageOps.exif_transpose(im))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(f"decompression bomb: {exc}") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # Pillow's ways of saying "not a picture"
        raise ImageRejected(f"not an image: {exc}") from None
    picture.thumbnail(MAX_SIZE, Image.Resampling.LANCZOS)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=".image-", suffix=".jpg")
    try:
        with os.fdopen(fd, "wb") as out:
            picture.save(out, "JPEG", quality=85, optimize=True)
            out.flush()
            os.fsync(out.fileno())
        os.replace(name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise


def _to_rgb(im: Image.Image) -> Image.Image:
    """RGB pixels, with any transparency flattened onto the kiosk background."""
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", rgba.size, BACKGROUND)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return im.convert("RGB")
