"""Pieces every screen shares.

Table models, error feedback, form problems, wording, remembered forms and the PDF preview.
"""
