"""Documents written by a real producer (LibreOffice, headless) that name their author everywhere it records one."""

from __future__ import annotations

import base64
import fcntl
import hashlib
import io
import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

# What the author's software plants, and what must never reach a reviewer.
NAME = "Alice Smith"
LOGIN = "alice.smith"
EMAIL = "alice.smith@example.edu"
TEMPLATE = "C:/Users/alice.smith/AppData/Roaming/LibreOffice/4/user/template/Essay.ott"
SHARE = "file://fileserver.example.edu/home/alice.smith/notes.odt"
PRINTER = "PRN-ASMITH-4200"
# The place the photo was taken: 51°30'26.4" N, 0°7'39.6" W, as EXIF stores it (rationals).
LATITUDE = ((51, 1), (30, 1), (264, 10))
LONGITUDE = ((0, 1), (7, 1), (396, 10))

# What the student wrote, and must survive.
PARAGRAPHS = ("Peer review improves writing.", "Sources matter for every claim.")
INSERTED = "An inserted sentence."
DELETED = "Removed words."
COMMENT = "Needs a source"
LINK = "https://example.org/peer-review"
PHOTO_SIZE = (320, 240)


def needles() -> list[bytes]:
    """Every planted trace as bytes, including the coordinates as EXIF writes them in either byte order."""
    texts = [NAME, "Smith", LOGIN, EMAIL, TEMPLATE, "fileserver.example.edu", PRINTER]
    found = [text.encode() for text in texts] + [text.encode("utf-16-le") for text in texts]
    for coordinate in (LATITUDE, LONGITUDE):
        numbers = [number for pair in coordinate for number in pair]
        found += [struct.pack("<6I", *numbers), struct.pack(">6I", *numbers)]
    return found


def photo() -> bytes:
    """A phone-like JPEG: EXIF Artist, Copyright and GPS, and a comment naming the author."""
    image = Image.new("RGB", PHOTO_SIZE, (40, 90, 160))
    ImageDraw.Draw(image).rectangle((40, 40, 200, 160), fill=(230, 200, 40))
    exif = Image.Exif()
    exif[0x013B] = NAME  # Artist
    exif[0x8298] = EMAIL  # Copyright
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: tuple(a / b for a, b in LATITUDE), 3: "W", 4: tuple(a / b for a, b in LONGITUDE)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=f"{NAME} <{EMAIL}>".encode(), quality=90)
    return out.getvalue()


def flat_odt() -> str:
    """A flat ODT (.fodt) as LibreOffice itself writes one, with every record of its author filled in."""
    picture = base64.b64encode(photo()).decode()
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:xlink="http://www.w3.org/1999/xlink"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:config="urn:oasis:names:tc:opendocument:xmlns:config:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
 <office:meta>
  <meta:initial-creator>{NAME}</meta:initial-creator>
  <dc:creator>{NAME}</dc:creator>
  <meta:creation-date>2026-03-01T10:00:00</meta:creation-date>
  <dc:date>2026-03-02T11:00:00</dc:date>
  <meta:printed-by>{NAME}</meta:printed-by>
  <dc:title>Essay on peer review</dc:title>
  <meta:template xlink:type="simple" xlink:actuate="onRequest" xlink:title="Essay" xlink:href="file:///{TEMPLATE}"/>
  <meta:user-defined meta:name="Student">{NAME}</meta:user-defined>
  <meta:user-defined meta:name="Email">{EMAIL}</meta:user-defined>
 </office:meta>
 <office:settings>
  <config:config-item-set config:name="ooo:configuration-settings">
   <config:config-item config:name="PrinterName" config:type="string">{PRINTER}</config:config-item>
  </config:config-item-set>
 </office:settings>
 <office:body>
  <office:text>
   <text:tracked-changes text:track-changes="true">
    <text:changed-region xml:id="ct1" text:id="ct1">
     <text:insertion><office:change-info><dc:creator>{NAME}</dc:creator><dc:date>2026-03-01T10:00:00</dc:date>
     </office:change-info></text:insertion>
    </text:changed-region>
    <text:changed-region xml:id="ct2" text:id="ct2">
     <text:deletion><office:change-info><dc:creator>{NAME}</dc:creator><dc:date>2026-03-01T10:01:00</dc:date>
     </office:change-info><text:p>{DELETED}</text:p></text:deletion>
    </text:changed-region>
   </text:tracked-changes>
   <text:p>{PARAGRAPHS[0]} <text:change-start text:change-id="ct1"/>{INSERTED}<text:change-end
    text:change-id="ct1"/><text:change text:change-id="ct2"/></text:p>
   <text:p>{PARAGRAPHS[1]}<office:annotation><dc:creator>{NAME}</dc:creator><dc:date
    >2026-03-01T10:05:00</dc:date><meta:creator-initials>AS</meta:creator-initials><text:p>{COMMENT}</text:p></office:annotation
    ></text:p>
   <text:p>Read <text:a xlink:type="simple" xlink:href="{LINK}">the source</text:a> and <text:a xlink:type="simple"
    xlink:href="{SHARE}">my notes</text:a>.</text:p>
   <text:p><draw:frame draw:name="Photo" text:anchor-type="as-char" svg:width="8cm" svg:height="6cm"
    draw:z-index="0"><draw:image><office:binary-data>{picture}</office:binary-data></draw:image></draw:frame></text:p>
  </office:text>
 </office:body>
</office:document>
"""


def flat_odt_with_macro() -> str:
    """A flat ODT holding a StarBasic library, with its start-up macro bound to opening the document."""
    return """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0"
 xmlns:ooo="http://openoffice.org/2004/office" xmlns:xlink="http://www.w3.org/1999/xlink"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
 <office:scripts>
  <office:script script:language="ooo:Basic">
   <ooo:libraries><ooo:library-embedded ooo:name="Standard"><ooo:module ooo:name="Module1"><ooo:source-code
>Sub Main
  Shell("calc")
End Sub
</ooo:source-code></ooo:module></ooo:library-embedded></ooo:libraries>
  </office:script>
  <office:event-listeners>
   <script:event-listener script:language="ooo:script" script:event-name="office:load"
    xlink:href="vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;location=document"/>
  </office:event-listeners>
 </office:scripts>
 <office:body><office:text><text:p>An essay that runs a program when opened.</text:p></office:text></office:body>
</office:document>
"""


@dataclass(frozen=True)
class OfficeCorpus:
    """One essay as LibreOffice writes it in three formats. The PDF names its author in the document info, in the
    comment's annotation (/T) and in the photo's EXIF (the JPEG is embedded as it is), and links to the author's share.
    Tests get it from a session-scoped fixture that returns `build(tmp_path_factory)`."""

    docx: bytes
    odt: bytes
    pdf: bytes
    odt_with_macro: bytes  # LibreOffice's own ODT with a StarBasic library (Basic/)

    def by_kind(self) -> dict[str, bytes]:
        return {"docx": self.docx, "odt": self.odt}


def soffice() -> str:
    found = shutil.which("soffice")
    if found is None:
        pytest.fail("LibreOffice (soffice) is needed to make the office corpus: apt-get install libreoffice-writer-nogui")
    return found


def convert(sources: list[Path], target: str, outdir: Path, profile: Path) -> None:
    """LibreOffice converts the files, headless, with a profile of its own (so it never meets a user's)."""
    subprocess.run(
        [soffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
         "--convert-to", target, "--outdir", str(outdir), *map(str, sources)],
        check=True, capture_output=True, timeout=180,
    )


# Comments exported as PDF annotations (named by their author) and pictures kept as they are (the photo's own JPEG,
# EXIF and all): the PDF carries as much of its author as the DOCX and ODT do.
PDF_EXPORT = ('pdf:writer_pdf_Export:{"ExportNotes":{"type":"boolean","value":"true"},'
              '"ReduceImageResolution":{"type":"boolean","value":"false"}}')
TARGETS = {"docx": "docx", "odt": "odt", "pdf": PDF_EXPORT}


def build(tmp_path_factory: pytest.TempPathFactory) -> OfficeCorpus:
    """The corpus, made once per test run and shared by xdist workers (the first one makes it under a lock)."""
    source, macro = flat_odt(), flat_odt_with_macro()
    key = hashlib.sha256((source + macro + repr(TARGETS)).encode()).hexdigest()[:16]
    shared = tmp_path_factory.getbasetemp().parent  # the same directory for every xdist worker of this run
    directory = shared / f"office-corpus-{key}"
    made = ("essay.docx", "essay.odt", "macro.odt", "essay.pdf")
    with open(shared / f"office-corpus-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (directory / made[-1]).exists():
            with tempfile.TemporaryDirectory(dir=shared) as work:
                work_path = Path(work)
                (work_path / "essay.fodt").write_text(source, encoding="utf-8")
                (work_path / "macro.fodt").write_text(macro, encoding="utf-8")
                profile = work_path / "profile"
                convert([work_path / "essay.fodt"], TARGETS["docx"], work_path, profile)
                convert([work_path / "essay.fodt", work_path / "macro.fodt"], TARGETS["odt"], work_path, profile)
                convert([work_path / "essay.fodt"], TARGETS["pdf"], work_path, profile)
                directory.mkdir(exist_ok=True)
                for name in made:  # the PDF last: its presence says the corpus is complete
                    shutil.copy(work_path / name, directory / name)
    docx, odt, macro_odt, pdf = ((directory / name).read_bytes() for name in made)
    return OfficeCorpus(docx=docx, odt=odt, pdf=pdf, odt_with_macro=macro_odt)
