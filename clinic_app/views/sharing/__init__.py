"""The Summaries tab and what it shares.

Partner summaries, risk notices, clinical summaries, audiences and the disclosure register.
"""
