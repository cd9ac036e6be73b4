"""Logging filters that keep reporters' identifying data out of every log line."""

import logging


class DropRequestFilter(logging.Filter):
    """Strip the request (and runserver's socket) from records before any handler sees them.

    Django attaches `record.request` to request errors; its META holds the
    client's address and user agent, which a formatter or an error reporter
    could print. We never want them, so they never reach a handler.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        for attr in ("request", "server_time"):
            if hasattr(record, attr):
                delattr(record, attr)
        return True
