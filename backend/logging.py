"""Logging filters that keep reporters' identifying data out of every log line."""

import ipaddress
import logging
import re


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


_CANDIDATE = re.compile(r"\[?[0-9A-Fa-f:.]{2,}\]?(?::\d+)?")
_QUERY = re.compile(r"(/\S*?)\?\S*")
# gunicorn quotes the offending request line or header ("Invalid HTTP Header: 'User-Agent ...'").
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def _is_address(token: str) -> bool:
    for text in (token, token.strip("[]"), token.rsplit(":", 1)[0].strip("[]")):
        try:
            ipaddress.ip_address(text)
            return True
        except ValueError:
            continue
    return False


def redact_client(message: str) -> str:
    """Replace IP addresses and query strings in a log message."""
    message = re.sub(r"\bip=\S+?(?=:?\s|$)", "ip=[redacted]", message)
    message = _QUOTED.sub("'[redacted]'", message)
    message = _CANDIDATE.sub(lambda m: "[address]" if _is_address(m.group(0)) else m.group(0), message)
    return _QUERY.sub(r"\1?[query]", message)


class RedactClientFilter(logging.Filter):
    """For gunicorn's error log, which names the client ("Invalid request from ip=...")
    and full request URIs before Django, and our middleware, ever see the request."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact_client(record.getMessage()), ()
        return True
