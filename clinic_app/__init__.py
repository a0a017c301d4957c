"""clinic-app: clinical records and partner-safe summaries for stalking intervention programmes."""

__version__ = "0.1.0"
