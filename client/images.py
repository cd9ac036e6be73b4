"""Strip photos of EXIF, GPS and every other metadata before they are encrypted."""

from __future__ import annotations

import io

from PIL import Image, ImageOps

from client.i18n import _, _f

SUPPORTED = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def strip_metadata(data: bytes) -> tuple[bytes, str]:
    """Re-encode the pixels only (after applying the EXIF rotation); returns (bytes, media type).

    Raises ValueError for files that are not a supported image, so callers never
    send an image they could not clean.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format
            if image_format not in SUPPORTED:
                raise ValueError(_f("Unsupported image format {format}.", format=image_format))
            upright = ImageOps.exif_transpose(image)
            if upright.mode == "P":  # palettes can carry their own chunks; keep plain pixels
                upright = upright.convert("RGBA" if "transparency" in upright.info else "RGB")
            # A new image from raw pixel bytes carries no info dict, EXIF, ICC profile or text.
            pixels = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    except (OSError, Image.DecompressionBombError) as exc:
        raise ValueError(_("Not an image this client can clean.")) from exc
    out = io.BytesIO()
    options = {"quality": 90} if image_format in ("JPEG", "WEBP") else {}
    # No exif=, icc_profile=, pnginfo= or comment: nothing but pixels is written.
    pixels.save(out, format=image_format, **options)
    return out.getvalue(), SUPPORTED[image_format]
