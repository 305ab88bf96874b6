"""Office documents (DOCX, ODT), zip packages of XML parts, rebuilt from an allow-list of what shows the work."""

from __future__ import annotations

from assessment.stripping.odf import strip_odt
from assessment.stripping.ooxml import strip_docx

__all__ = ["strip_docx", "strip_odt"]
