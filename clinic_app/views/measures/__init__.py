"""The Measures tab: outcome measures, trend charts and self-completion."""
