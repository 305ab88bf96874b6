"""PDFs made the way real students' files are made, each naming its author wherever its producer can put a name."""

from __future__ import annotations

import datetime
import io
import os
import subprocess
import tempfile
import zlib
from base64 import b64encode
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, String
from PIL import Image

AUTHOR = "Alice Smith"
EMAIL = "alice.smith@example.edu"
HOME = "C:\\Users\\alice.smith"
LATITUDE = "51.5072"
ATTACHMENT_NAME = "Alice_Smith_notes.txt"
# Every trace of the author planted below, as it may appear in a file's bytes; none may survive stripping.
PLANTED = ("Alice", "Smith", "alice.smith", EMAIL, HOME, "Users\\alice", LATITUDE, ATTACHMENT_NAME, "alice-smith")
ESSAY_TEXT = "The essay itself"
ARTIST, GPS_INFO, IMAGE_DESCRIPTION, USER_COMMENT, ORIENTATION = 0x013B, 0x8825, 0x010E, 0x9286, 0x0112
XMP = (
    '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">'
    f'<dc:creator><rdf:Seq><rdf:li>{AUTHOR}</rdf:li></rdf:Seq></dc:creator><pdf:Producer>{EMAIL}</pdf:Producer>'
    '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
).encode()


@dataclass(frozen=True, order=True)
class ImageShape:
    width: int
    height: int


@dataclass
class CorpusFile:
    """A producer's PDF, and what must still be there once its author is gone."""

    name: str
    data: bytes
    pages: int = 1
    images: list[ImageShape] = field(default_factory=list)
    kept_link: str | None = None
    says: str = ESSAY_TEXT  # on its first page


def exif(orientation: int = 1) -> Image.Exif:
    record = Image.Exif()
    record[ORIENTATION] = orientation
    record[ARTIST] = AUTHOR
    record[IMAGE_DESCRIPTION] = f"{HOME}\\Pictures\\essay.jpg; {EMAIL}"
    record.get_ifd(GPS_INFO).update({1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)})
    record[USER_COMMENT] = f"{LATITUDE} N"  # a place in words, as some phones write it
    return record


def photo(width: int = 64, height: int = 48) -> Image.Image:
    """Left half red, right half blue: turned pixels would show."""
    image = Image.new("RGB", (width, height), (200, 40, 40))
    image.paste((30, 30, 200), (width // 2, 0, width, height))
    return image


def camera_jpeg(width: int = 64, height: int = 48, orientation: int = 1) -> bytes:
    """A phone photo: EXIF artist and GPS, XMP, a comment, and a "motion photo" trailer after the picture."""
    out = io.BytesIO()
    photo(width, height).save(out, "JPEG", quality=90, exif=exif(orientation), xmp=XMP,
                              comment=f"Photo by {AUTHOR}".encode())
    return out.getvalue() + b"\xff\xd8ftypmp42 video of " + AUTHOR.encode() + b" at " + LATITUDE.encode()


def _new_pdf_with_text(pages: int = 1) -> pikepdf.Pdf:
    """A document whose pages say ESSAY_TEXT in Helvetica, so the text can be read back after stripping."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
    for number in range(pages):
        page = pdf.add_blank_page(page_size=(300, 200))
        page.Resources = Dictionary(Font=Dictionary(F1=font))
        page.Contents = pdf.make_stream(f"BT /F1 12 Tf 20 150 Td ({ESSAY_TEXT} {number + 1}) Tj ET".encode())
    return pdf


def _save(pdf: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    pdf.save(out, fix_metadata_version=False)
    return out.getvalue()


def _author_records(pdf: pikepdf.Pdf) -> None:
    pdf.docinfo = pdf.make_indirect(Dictionary(
        Author=String(AUTHOR), Creator=String(f"Word for {EMAIL}"), Producer=String(f"{HOME}\\pdfmaker.exe"),
        Title=String(f"Essay by {AUTHOR}"), StudentEmail=String(EMAIL),
    ))
    pdf.Root.Metadata = pdf.make_stream(XMP, Type=Name.Metadata, Subtype=Name.XML)
    pdf.trailer.ID = Array([String(b"alice.smith-id-1"), String(b"alice.smith-id-2")])


def _rect(x: float, y: float, w: float, h: float) -> Array:
    return Array([x, y, x + w, y + h])


def annotated_pdf() -> CorpusFile:
    """Reviewing in a PDF reader: comments and highlights signed by the author, XMP, application data, rich text."""
    pdf = _new_pdf_with_text()
    _author_records(pdf)
    page = pdf.pages[0]
    page.obj.Metadata = pdf.make_stream(XMP, Type=Name.Metadata, Subtype=Name.XML)
    page.obj.PieceInfo = Dictionary(Illustrator=Dictionary(Private=String(f"{HOME}\\Documents\\essay.ai")))
    note = pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.Text, Rect=_rect(10, 10, 20, 20), T=String(AUTHOR),
        Contents=String("Check this paragraph"), M=String("D:20260301100000Z"),
        RC=String(f'<body xmlns="http://www.w3.org/1999/xhtml"><p>Check this paragraph</p><p>{AUTHOR}</p></body>'),
        Subj=String("Comment"),
    ))
    popup = pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.Popup, Rect=_rect(40, 10, 100, 50), Parent=note, T=String(AUTHOR),
    ))
    note.Popup = popup
    highlight = pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.Highlight, Rect=_rect(20, 145, 100, 15), T=String(EMAIL),
        QuadPoints=Array([20, 160, 120, 160, 20, 145, 120, 145]), Contents=String("Nice"),
    ))
    page.obj.Annots = pdf.make_indirect(Array([note, popup, highlight]))
    return CorpusFile("annotated", _save(pdf))


def attachment_pdf() -> CorpusFile:
    """A file attached three ways: the document's attachments list, an attachment pin on the page, /AF."""
    pdf = _new_pdf_with_text()
    _author_records(pdf)
    notes = f"Notes by {AUTHOR} <{EMAIL}>, saved in {HOME}\\Documents".encode()
    pdf.attachments[ATTACHMENT_NAME] = pikepdf.AttachedFileSpec(pdf, notes, description=f"{AUTHOR}'s notes")
    spec = pikepdf.AttachedFileSpec(pdf, notes, filename=ATTACHMENT_NAME).obj
    pin = pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.FileAttachment, Rect=_rect(250, 10, 20, 20), FS=spec, T=String(AUTHOR),
        Contents=String(ATTACHMENT_NAME),
    ))
    pdf.pages[0].obj.Annots = Array([pin])
    pdf.Root.AF = Array([spec])
    return CorpusFile("attachment", _save(pdf))


def active_content_pdf() -> CorpusFile:
    """Scripts on opening, a launch link, links to other files or to a script and a form that posts: all of it acts
    on its own or reaches the author's machines. A web link and a link inside the document stay: the author wrote
    them."""
    pdf = _new_pdf_with_text(pages=2)
    script = f"app.alert('Hello from {AUTHOR}'); this.submitForm('https://alice-smith.example/collect');"
    pdf.Root.OpenAction = Dictionary(S=Name.JavaScript, JS=String(script))
    pdf.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array([
        String("greeting"), pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=pdf.make_stream(script.encode()))),
    ])))
    pdf.Root.AA = Dictionary(WC=Dictionary(S=Name.JavaScript, JS=String(script)))
    first, second = pdf.pages[0], pdf.pages[1]
    first.obj.AA = Dictionary(O=Dictionary(S=Name.Launch, F=String(f"{HOME}\\tools\\greet.exe")))

    def link(y: float, action: Dictionary) -> Dictionary:
        return pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=_rect(20, y, 200, 12), A=action))

    launch = Dictionary(S=Name.Launch, Win=Dictionary(F=String(f"{HOME}\\tools\\greet.exe"), P=String(EMAIL)))
    remote = Dictionary(S=Name.GoToR, F=String(f"file://alice-smith-pc/share/{ATTACHMENT_NAME}"), D=Array([0, Name.Fit]))
    embedded = Dictionary(S=Name.GoToE, T=Dictionary(R=Name.C, N=String(ATTACHMENT_NAME)), D=Array([0, Name.Fit]))
    submit = Dictionary(S=Name.SubmitForm, F=Dictionary(FS=Name.URL, F=String("https://alice-smith.example/collect")))
    chained = Dictionary(S=Name.GoTo, D=Array([second.obj, Name.Fit]), Next=Dictionary(S=Name.JavaScript, JS=String(script)))
    web = Dictionary(S=Name.URI, URI=String("https://en.wikipedia.org/wiki/Peer_review"))
    inside = Dictionary(S=Name.GoTo, D=Array([second.obj, Name.Fit]))
    share = Dictionary(S=Name.URI, URI=String(f"file://alice-smith-pc/share/{ATTACHMENT_NAME}"))
    script_link = Dictionary(S=Name.URI, URI=String(f" JavaScript:app.alert('{AUTHOR}')"))
    first.obj.Annots = Array([
        link(100, launch), link(85, remote), link(70, embedded), link(55, submit), link(40, chained), link(25, web),
        link(10, inside), link(115, share), link(130, script_link),
    ])
    return CorpusFile("active content", _save(pdf), pages=2, kept_link="https://en.wikipedia.org/wiki/Peer_review")


def photo_pdf() -> CorpusFile:
    """A phone photo placed as it came (the JPEG bytes as the image stream, as img2pdf and many scanners do), next to
    a lossless picture whose stream carries XMP."""
    pdf = _new_pdf_with_text()
    photo = camera_jpeg(64, 48)
    jpeg = pdf.make_stream(photo, Type=Name.XObject, Subtype=Name.Image, Width=64, Height=48,
                           ColorSpace=Name.DeviceRGB, BitsPerComponent=8, Filter=Name.DCTDecode)
    # The same photo again, behind a second filter: its JPEG bytes are only seen once the Flate layer is undone.
    wrapped = pdf.make_stream(zlib.compress(photo), Type=Name.XObject, Subtype=Name.Image, Width=64, Height=48,
                              ColorSpace=Name.DeviceRGB, BitsPerComponent=8,
                              Filter=Array([Name.FlateDecode, Name.DCTDecode]))
    pixels = pdf.make_stream(zlib.compress(bytes([120, 200, 80]) * (32 * 16)), Type=Name.XObject, Subtype=Name.Image,
                             Width=32, Height=16, ColorSpace=Name.DeviceRGB, BitsPerComponent=8,
                             Filter=Name.FlateDecode)
    pixels.Metadata = pdf.make_stream(XMP, Type=Name.Metadata, Subtype=Name.XML)
    page = pdf.pages[0]
    page.Resources.XObject = Dictionary(Im1=jpeg, Im2=wrapped, Im3=pixels)
    page.Contents = pdf.make_stream(
        page.Contents.read_bytes()
        + b" q 64 0 0 48 20 20 cm /Im1 Do Q q 64 0 0 48 100 20 cm /Im2 Do Q q 32 0 0 16 180 20 cm /Im3 Do Q"
    )
    return CorpusFile("photo", _save(pdf), images=[ImageShape(64, 48), ImageShape(64, 48), ImageShape(32, 16)])


def img2pdf_pdf() -> CorpusFile:
    """img2pdf, the usual way to turn phone photos into a PDF: the JPEG goes in byte for byte, EXIF, XMP and trailer
    included, and a sideways photo is turned by the page (/Rotate), not in its pixels."""
    import img2pdf

    data = img2pdf.convert(
        camera_jpeg(64, 48, orientation=6), author=AUTHOR, title=f"Photos of {AUTHOR}", creator=EMAIL,
        producer=HOME, subject=f"{LATITUDE} N", keywords=[AUTHOR, EMAIL],
    )
    return CorpusFile("img2pdf", data, images=[ImageShape(64, 48)], says="")


def pillow_pdf() -> CorpusFile:
    """Pillow saving a photo as PDF, with the properties its caller filled in."""
    out = io.BytesIO()
    image = photo(64, 48)
    image.info["exif"] = exif().tobytes()
    image.save(out, "PDF", author=AUTHOR, title=f"Scan by {AUTHOR}", creator=EMAIL, producer=HOME,
               subject=f"{LATITUDE} N", keywords=EMAIL)
    return CorpusFile("pillow", out.getvalue(), images=[ImageShape(64, 48)], says="")


def signed_pdf() -> CorpusFile:
    """Signed with pyHanko, by a self-made certificate for the author, her name, address and place in the signature."""
    from asn1crypto import keys, x509
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = ec.generate_private_key(ec.SECP256R1())
    subject = cx509.Name([
        cx509.NameAttribute(NameOID.COMMON_NAME, AUTHOR), cx509.NameAttribute(NameOID.EMAIL_ADDRESS, EMAIL),
    ])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        cx509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(cx509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256())
    )
    signer = signers.SimpleSigner(
        signing_cert=x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER)),
        signing_key=keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption(),
        )),
        cert_registry=SimpleCertificateStore(),
    )
    unsigned = _new_pdf_with_text()
    _author_records(unsigned)
    writer = IncrementalPdfFileWriter(io.BytesIO(_save(unsigned)))
    metadata = signers.PdfSignatureMetadata(
        field_name="Signature_of_Alice_Smith", name=AUTHOR, contact_info=EMAIL, location=f"{HOME}, {LATITUDE} N",
        reason=f"I, {AUTHOR}, wrote this",
    )
    # pyHanko signs through asyncio.run, which refuses to run where an event loop already runs (a browser test's
    # Playwright leaves one in this worker's thread): a thread of its own has none.
    with ThreadPoolExecutor(max_workers=1) as thread:
        out = thread.submit(
            signers.sign_pdf, writer, metadata, signer=signer,
            new_field_spec=fields.SigFieldSpec("Signature_of_Alice_Smith", on_page=0, box=(150, 20, 280, 60)),
        ).result()
    return CorpusFile("signed", out.getvalue())


# A LibreOffice Writer document written as flat XML: author in its properties, a picture with EXIF inside.
_FODT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 xmlns:xlink="http://www.w3.org/1999/xlink" office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
 <office:meta><meta:initial-creator>{author}</meta:initial-creator><dc:creator>{author}</dc:creator>
  <dc:title>Essay by {author}</dc:title><dc:subject>{email}</dc:subject>
  <meta:template xlink:type="simple" xlink:href="file:///{home}/Templates/essay.ott"/></office:meta>
 <office:body><office:text>
  <text:p>{text}</text:p>
  <text:p><draw:frame draw:name="Photo" text:anchor-type="as-char" svg:width="16cm" svg:height="12cm">
   <draw:image><office:binary-data>{photo}</office:binary-data></draw:image></draw:frame></text:p>
 </office:text></office:body></office:document>
"""


def libreoffice_pdf(soffice: str) -> CorpusFile:
    """Writer's own PDF export of a document with an author and a phone photo."""
    with tempfile.TemporaryDirectory() as work:
        source = Path(work, "essay.fodt")
        source.write_text(_FODT.format(
            author=AUTHOR, email=EMAIL, home=HOME.replace("\\", "/"), text=ESSAY_TEXT,
            photo=b64encode(camera_jpeg(640, 480)).decode(),
        ))
        # A profile of its own, so a LibreOffice already running on the machine does not take the job.
        profile = Path(work, "profile").as_uri()
        subprocess.run(
            [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--convert-to", "pdf",
             "--outdir", work, str(source)],
            check=True, capture_output=True, timeout=180, env={**os.environ, "HOME": work},
        )
        return CorpusFile("libreoffice", Path(work, "essay.pdf").read_bytes(), images=[ImageShape(640, 480)])


def corpus() -> list[CorpusFile]:
    return [annotated_pdf(), attachment_pdf(), active_content_pdf(), photo_pdf(), img2pdf_pdf(), pillow_pdf(),
            signed_pdf()]
