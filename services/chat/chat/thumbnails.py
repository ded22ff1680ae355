"""Small previews of attached images, for message lists. Pure: bytes in, bytes out."""

import io

from PIL import Image

THUMBNAIL_SIZE = (320, 320)


def thumbnail(data: bytes) -> bytes:
    """A PNG no larger than ``THUMBNAIL_SIZE``, keeping the image's proportions."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        preview = image.convert("RGBA") if image.mode not in ("RGB", "RGBA", "L") else image.copy()
    preview.thumbnail(THUMBNAIL_SIZE)
    out = io.BytesIO()
    preview.save(out, format="PNG")
    return out.getvalue()
