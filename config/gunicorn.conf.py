"""gunicorn settings for production (docker-compose's `web`).

The access log format names no client address (%(h)s), no user agent (%(a)s),
no referrer (%(f)s) and no query string (%(q)s): only time, method, path,
status, size and duration. Error logs carry no request headers.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("SANAD_WEB_WORKERS", "3"))
# Threads per worker: reports submitted at the same moment in one process are
# committed together (backend/group_commit.py), which needs them to be handled
# concurrently; each thread keeps its own database connection (workers x threads
# connections in all, well under PostgreSQL's default 100).
threads = int(os.environ.get("SANAD_WEB_THREADS", "8"))
timeout = 30
graceful_timeout = 30
# Requests larger than this never reach Django (reporters' evidence has its own cap below it).
limit_request_line = 4094
limit_request_fields = 50
accesslog = "-"
errorlog = "-"
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(M)sms'
# gunicorn would otherwise trust X-Forwarded-* only from 127.0.0.1; the proxy in front sets them.
forwarded_allow_ips = os.environ.get("SANAD_FORWARDED_ALLOW_IPS", "127.0.0.1")

# gunicorn's own error log names the client's address on malformed requests and
# the full URI (query included) on errors: filter both out before any handler.
logconfig_dict = {
    "filters": {"redact_client": {"()": "backend.logging.RedactClientFilter"}},
    "loggers": {
        "gunicorn.error": {
            "level": "INFO",
            "handlers": ["error_console"],
            "filters": ["redact_client"],
            "propagate": False,
            "qualname": "gunicorn.error",
        },
        "gunicorn.access": {
            "level": "INFO",
            "handlers": ["console"],
            "propagate": False,
            "qualname": "gunicorn.access",
        },
    },
}
