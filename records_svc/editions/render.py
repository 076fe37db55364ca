"""Template checking and rendering, always in a Jinja2 sandbox.

HTML templates become PDF through WeasyPrint, which may fetch nothing but
``data:`` URIs; DOCX templates are rendered by docxtpl with the same sandbox.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from typing import Any

from jinja2 import TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from records_svc.editions.formatting import FILTERS
from records_svc.editions.limits import check_pages

HTML, DOCX = "html", "docx"
PDF_MEDIA_TYPE = "application/pdf"
DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class TemplateProblemError(Exception):
    """A template that cannot be used: a syntax error (with its line) or an unreadable file."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def load_renderers() -> None:
    """Import WeasyPrint and docxtpl (slow the first time) before a render's clock starts:
    an import cut short by the time limit would leave a half-made module behind."""
    import docxtpl  # noqa: F401
    import weasyprint  # noqa: F401


def sandbox(*, autoescape: bool) -> SandboxedEnvironment:
    env = SandboxedEnvironment(autoescape=autoescape, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(FILTERS)
    env.globals.update(FILTERS)
    return env


def _syntax(error: TemplateSyntaxError) -> TemplateProblemError:
    return TemplateProblemError(f"line {error.lineno}: {error.message}", error.lineno)


def check_html(body: str) -> None:
    try:
        sandbox(autoescape=True).parse(body)
    except TemplateSyntaxError as exc:
        raise _syntax(exc) from None


#: a DOCX template unpacks to at most this much (a few MB of XML and images in practice)
MAX_DOCX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_DOCX_PARTS = 2000
_REQUIRED_PARTS = ("[Content_Types].xml", "word/document.xml")


def _check_package(data: bytes) -> None:
    """Refuse what no word processor writes before any XML parser sees it: a package
    without its required parts, a ZIP bomb, or a DTD (entity amplification lives there)."""
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        parts = package.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise TemplateProblemError("this is not a DOCX file") from None
    names = {part.filename for part in parts}
    missing = [name for name in _REQUIRED_PARTS if name not in names]
    if missing:
        raise TemplateProblemError(f"this DOCX file has no {missing[0]}")
    if len(parts) > MAX_DOCX_PARTS or sum(p.file_size for p in parts) > MAX_DOCX_UNPACKED_BYTES:
        raise TemplateProblemError(
            f"this DOCX file unpacks to more than {MAX_DOCX_UNPACKED_BYTES} bytes"
        )
    for part in parts:
        if not part.filename.endswith((".xml", ".rels")):
            continue
        try:
            xml = package.read(part)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
            raise TemplateProblemError(f"this DOCX file is damaged ({part.filename})") from None
        if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
            raise TemplateProblemError(
                f"this DOCX file declares XML entities ({part.filename}); save it again "
                "from a word processor"
            )


def _docx_template(data: bytes) -> Any:
    from docxtpl import DocxTemplate

    _check_package(data)
    template = DocxTemplate(io.BytesIO(data))
    try:
        template.init_docx()
    except Exception as exc:  # python-docx raises several kinds for a damaged package
        raise TemplateProblemError(f"this DOCX file cannot be read: {exc}") from None
    return template


def check_docx(data: bytes) -> None:
    template = _docx_template(data)
    try:
        xml = template.patch_xml(template.get_xml())
        sandbox(autoescape=False).parse(xml)
    except TemplateSyntaxError as exc:
        # Lines of the document's XML mean little to an author: give the message and
        # the text around the fault instead.
        raise TemplateProblemError(
            f"line {exc.lineno} of the document body: {exc.message}", exc.lineno
        ) from None


def render_pdf(body: str, context: Mapping[str, Any], *, max_pages: int | None = None) -> bytes:
    import weasyprint

    try:
        html = sandbox(autoescape=True).from_string(body).render(context)
    except TemplateSyntaxError as exc:
        raise _syntax(exc) from None
    except TemplateError as exc:
        raise TemplateProblemError(f"the template failed: {exc}") from None
    # Only data: URIs: a template may not read local files nor reach the network.
    fetcher = weasyprint.urls.URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    document = weasyprint.HTML(string=html, url_fetcher=fetcher).render()
    if max_pages is not None:
        check_pages(len(document.pages), max_pages)
    pdf: bytes = document.write_pdf()
    return pdf


def render_docx(data: bytes, context: Mapping[str, Any]) -> bytes:
    template = _docx_template(data)
    try:
        template.render(dict(context), jinja_env=sandbox(autoescape=False), autoescape=True)
    except TemplateSyntaxError as exc:
        raise _syntax(exc) from None
    except TemplateError as exc:
        raise TemplateProblemError(f"the template failed: {exc}") from None
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()
