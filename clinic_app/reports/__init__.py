"""Renderers of documents: plain dataclasses in, PDF bytes out (no Qt)."""
