"""clinic-app: clinical records and partner-safe summaries for stalking intervention programmes."""

import logging

__version__ = "0.1.0"

# Nothing the application logs reaches the terminal by Python's fallback handler: a
# command prints its one line, and log lines go where ``config.configure_logging`` says.
logging.getLogger(__name__).addHandler(logging.NullHandler())
