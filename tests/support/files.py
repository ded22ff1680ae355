"""Files as users upload them: real bytes of each type, and a photo that says where it was."""

import io
import zipfile

from PIL import Image

# Latitude 52°31'N, longitude 13°24'E, as a camera writes it.
GPS_TAG = 0x8825
GPS_INFO = {1: "N", 2: (52.0, 31.0, 0.0), 3: "E", 4: (13.0, 24.0, 0.0)}


def pdf(text: str = "Inspection report") -> bytes:
    """A small, valid PDF."""
    from fpdf import FPDF

    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=12)
    document.cell(text=text)
    return bytes(document.output())


def photo_with_gps(kind: str = "JPEG") -> bytes:
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[GPS_TAG] = GPS_INFO
    out = io.BytesIO()
    image.save(out, format=kind, exif=exif)
    return out.getvalue()


def gps_of(data: bytes) -> dict:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(GPS_TAG))


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def windows_executable() -> bytes:
    """The first bytes of a Windows program (a DOS header), as a renamed .exe starts."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
