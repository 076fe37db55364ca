"""Editions: records printed through configured templates (HTML → PDF, DOCX)."""
