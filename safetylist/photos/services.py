"""Photos as evidence (现场照片): check an upload by its content, store a clean JPEG, find one by scope.

What is kept is a fresh JPEG (long side at most PHOTO_MAX_SIDE) with no metadata but the GPS tags
of enterprises that opted in; the capture time goes into the row. Files live under
UPLOAD_FOLDER/photos, named by a random ref, and are served only through `photo_for`.
"""
from __future__ import annotations

import io
import math
import os
import secrets
import struct
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flask import abort, current_app
from flask_babel import gettext as _
from PIL import ExifTags, Image, ImageFile, ImageOps
from sqlalchemy import select

from safetylist.audit.services import record
from safetylist.auth.scope import Scope
from safetylist.checklists import runs
from safetylist.checklists.models import ChecklistRun
from safetylist.errors import DomainError, PermissionDenied, ValidationFailed
from safetylist.extensions import db
from safetylist.photos.models import Photo
from safetylist.timeutil import LOCAL_TZ

MB = 1024 * 1024
DEFAULTS = {"PHOTO_MAX_BYTES": 15 * MB, "PHOTO_MAX_PIXELS": 40_000_000, "PHOTO_MAX_SIDE": 1600}
JPEG_QUALITY = 82
# The only decoders Pillow may try on an upload, and what each reported format is recorded as.
# Phones often write JPEGs with a second (depth, preview) picture: Pillow calls those MPO.
OPENERS = ("JPEG", "PNG", "HEIF")
RECORDED_FORMAT = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "HEIF": "HEIF"}
# What Pillow and libheif raise on a file they cannot parse or decode.
UNREADABLE = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError,
              RuntimeError, struct.error)


class PhotoRefused(ValidationFailed):
    """The upload is not a photo we keep; `status` is the HTTP status that says why (400 or 413)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__({"photo": message})
        self.message = message
        self.status = status


def init_pillow(app) -> None:
    """Teach Pillow HEIC/HEIF and make it refuse decompression bombs at our pixel cap.

    Called once when the photos blueprint is registered: both are process-wide Pillow settings.
    """
    from pillow_heif import register_heif_opener
    register_heif_opener(thumbnails=False)
    Image.MAX_IMAGE_PIXELS = _setting("PHOTO_MAX_PIXELS", app)


def _setting(name: str, app=None) -> int:
    return int((app or current_app).config.get(name, DEFAULTS[name]))


# --- storing ---------------------------------------------------------------------------------
def store_photo(actor, run: ChecklistRun, item_id: str, filename: str | None, stream) -> Photo:
    """Check, clean and keep one photo for an item of a draft run the actor fills.

    All or nothing: a refused upload leaves neither a row nor a file. The run itself is not
    changed (the page adds the ref to the item's evidence with its next save), so an upload
    never makes the open draft look stale.
    """
    if run.submitted:
        raise DomainError(_("This checklist was submitted and can no longer be changed."))
    if not runs.can_fill(actor, run):
        raise PermissionDenied(_("Your role does not fill this checklist."))
    if item_id not in {item.id for _, item in runs.definition(run).all_items()}:
        raise ValidationFailed({"item": _("No such item in this checklist.")})

    return _keep(actor, stream, filename, run.enterprise, agency_id=run.agency_id, run_id=run.id, item_id=item_id)


def store_hazard_photo(actor, hazard, filename: str | None, stream) -> Photo:
    """Keep an after-photo (整改后照片) of a hazard. The remediation service decides who may."""
    return _keep(actor, stream, filename, hazard.enterprise, agency_id=hazard.agency_id, hazard_id=hazard.id)


def store_interview_photo(actor, interview, filename: str | None, stream) -> Photo:
    """Keep a photo of an interview's signed record (约谈记录). The interview service decides who may."""
    return _keep(actor, stream, filename, interview.enterprise, interview_id=interview.id)


def store_assessment_photo(actor, assessment, element_id: str, filename: str | None, stream) -> Photo:
    """Keep a photo of evidence for an element of a standardization application. The
    standardization service decides who may."""
    return _keep(actor, stream, filename, assessment.enterprise, assessment_id=assessment.id, item_id=element_id)


def _keep(actor, stream, filename: str | None, enterprise, **owner) -> Photo:
    """Check, clean and keep one photo. All or nothing: a refused upload leaves neither a row nor a file."""
    max_bytes = _setting("PHOTO_MAX_BYTES")
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PhotoRefused(too_large_message(), status=413)
    clean = clean_photo(data, max_pixels=_setting("PHOTO_MAX_PIXELS"), max_side=_setting("PHOTO_MAX_SIDE"),
                        keep_gps=bool(enterprise and enterprise.photo_location_opt_in))

    ref = secrets.token_urlsafe(24)
    path = photo_path_for(ref)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{ref}.part")
    try:
        partial.write_bytes(clean.jpeg)
        os.replace(partial, path)  # never a half-written photo under its real name
        photo = Photo(ref=ref, enterprise_id=enterprise.id if enterprise else None,
                      uploaded_by_id=getattr(actor, "id", None), taken_at=clean.taken_at,
                      original_format=clean.original_format, content_type="image/jpeg",
                      width=clean.width, height=clean.height, size=len(clean.jpeg), **owner)
        db.session.add(photo)
        db.session.flush()
        record(actor, "photo_stored", photo, run_id=owner.get("run_id"), hazard_id=owner.get("hazard_id"),
               interview_id=owner.get("interview_id"), assessment_id=owner.get("assessment_id"),
               item=owner.get("item_id"), filename=(filename or "")[:200],
               original_format=clean.original_format, original_bytes=len(data), gps_kept=clean.gps_kept)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        partial.unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        raise
    return photo


def too_large_message() -> str:
    megabytes = f"{_setting('PHOTO_MAX_BYTES') / MB:g}"
    return _("The photo is larger than %(mb)s MB.", mb=megabytes)


@dataclass(frozen=True)
class CleanPhoto:
    jpeg: bytes
    width: int
    height: int
    original_format: str  # JPEG | PNG | HEIF
    taken_at: datetime | None  # naive UTC
    gps_kept: bool


def clean_photo(data: bytes, *, max_pixels: int, max_side: int, keep_gps: bool) -> CleanPhoto:
    """The JPEG we keep for an uploaded file, or PhotoRefused saying what is wrong with it."""
    not_a_photo = _("This file is not a photo (JPEG, PNG or HEIC).")
    megapixels = f"{max_pixels / 1_000_000:g}"
    too_many_pixels = _("The photo has too many pixels (over %(mp)s megapixels).", mp=megapixels)
    try:
        # Pillow warns between its pixel limit and twice that, and raises above: both are refusals.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=OPENERS) as probe:  # reads the header only
                if probe.format not in RECORDED_FORMAT:
                    raise PhotoRefused(not_a_photo)
                if probe.width * probe.height > max_pixels:
                    raise PhotoRefused(too_many_pixels)
                probe.verify()
            source = Image.open(io.BytesIO(data), formats=OPENERS)  # verify() leaves an image unusable
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRefused(too_many_pixels) from None
    except UNREADABLE:
        raise PhotoRefused(not_a_photo) from None

    with source:
        original_format = RECORDED_FORMAT[source.format]
        taken_at, gps = _metadata(source, keep_gps)
        icc = source.info.get("icc_profile")
        try:
            if source.format in ("JPEG", "MPO"):
                source.draft("RGB", _draft_size(source.size, max_side))  # decode at 1/2, 1/4… when large
            with _refusing_truncated_files():
                ImageOps.exif_transpose(source, in_place=True)  # decodes; the pixels now stand upright
            picture = _flatten_to_rgb(source)
            picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        except UNREADABLE:
            raise PhotoRefused(_("The photo could not be read; it may be damaged. Please take it again.")) from None
        picture.info = {}  # else Pillow carries a JPEG comment and other source metadata over
        options: dict = {"quality": JPEG_QUALITY, "optimize": True}
        if icc and icc[16:20] == b"RGB ":  # an RGB colour profile (e.g. Display P3) keeps colours true
            options["icc_profile"] = icc
        if gps:
            options["exif"] = _gps_only(gps)
        out = io.BytesIO()
        picture.save(out, "JPEG", **options)
    return CleanPhoto(out.getvalue(), picture.width, picture.height, original_format, taken_at,
                      bool(options.get("exif")))


def _gps_only(gps: dict) -> bytes:
    """EXIF holding the GPS tags and nothing else; tags Pillow cannot write back are dropped."""
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = gps
    try:
        return exif.tobytes()
    except UNREADABLE:
        return b""


@contextmanager
def _refusing_truncated_files():
    """A half-uploaded photo is refused, not kept half grey.

    WeasyPrint turns Pillow's process-wide LOAD_TRUNCATED_IMAGES on when imported; decoding an
    upload turns it off for the moment (our workers decode one request at a time).
    """
    tolerant = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = tolerant


def _draft_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """The smallest size to decode at that still yields `max_side` on the long side."""
    scale = min(1.0, max_side / max(size))
    return max(1, math.ceil(size[0] * scale)), max(1, math.ceil(size[1] * scale))


def _flatten_to_rgb(image: Image.Image) -> Image.Image:
    """JPEG has no transparency: transparent parts (screenshots, PNGs) become white."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image if image.mode == "RGB" else image.convert("RGB")


def _metadata(image: Image.Image, keep_gps: bool) -> tuple[datetime | None, dict]:
    """(capture time in UTC, GPS tags to keep); broken EXIF only loses them, never the photo."""
    try:
        exif = image.getexif()
        details = exif.get_ifd(ExifTags.IFD.Exif)
        gps = dict(exif.get_ifd(ExifTags.IFD.GPSInfo)) if keep_gps else {}
    except UNREADABLE:
        return None, {}
    taken = details.get(ExifTags.Base.DateTimeOriginal)
    offset = details.get(ExifTags.Base.OffsetTimeOriginal)
    if not taken:
        taken = details.get(ExifTags.Base.DateTimeDigitized)
        offset = details.get(ExifTags.Base.OffsetTimeDigitized)
    return _exif_time(taken, offset), gps


def _exif_time(value, offset) -> datetime | None:
    """EXIF writes the camera's wall-clock time: its own offset when given, else Asia/Shanghai's."""
    try:
        local = datetime.strptime(str(value).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except (TypeError, ValueError):
        return None
    zone = _exif_offset(offset) or LOCAL_TZ
    return local.replace(tzinfo=zone).astimezone(timezone.utc).replace(tzinfo=None)


def _exif_offset(value) -> timezone | None:
    text = str(value or "").strip("\x00 ")
    if len(text) != 6 or text[0] not in "+-" or text[3] != ":":
        return None
    try:
        delta = timedelta(hours=int(text[1:3]), minutes=int(text[4:6]))
    except ValueError:
        return None
    return timezone(-delta if text[0] == "-" else delta) if delta < timedelta(hours=15) else None


# --- finding and serving ---------------------------------------------------------------------
def photo_for(actor, ref: str) -> Photo:
    """The photo if its enterprise or agency is in the actor's scope, or if it is of an interview the
    actor sees (whoever sees an interview sees its signed record, even once the enterprise has moved to
    another street), else 404."""
    scope = Scope(actor)
    photo = db.session.scalars(scope.photos().where(Photo.ref == ref)).first()
    if photo is None:
        from safetylist.interviews.models import Interview
        photo = db.session.scalars(select(Photo).where(
            Photo.ref == ref, Photo.interview_id.in_(scope.interviews().with_only_columns(Interview.id)))).first()
    if photo is None:  # evidence of an application the actor sees (an agency reviewing it, too)
        from safetylist.standardization.models import Assessment
        photo = db.session.scalars(select(Photo).where(
            Photo.ref == ref, Photo.assessment_id.in_(scope.assessments().with_only_columns(Assessment.id)))).first()
    if photo is None:
        abort(404)
    return photo


def photo_path(photo: Photo) -> Path:
    return photo_path_for(photo.ref)


def photo_folder() -> Path:
    """Where stored photos live: under UPLOAD_FOLDER, never under static/."""
    return Path(current_app.config["UPLOAD_FOLDER"]) / "photos"


def photo_path_for(ref: str) -> Path:
    return photo_folder() / f"{ref}.jpg"
