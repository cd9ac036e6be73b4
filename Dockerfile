# Production image: gunicorn web, Celery worker and beat all run from it (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN useradd --system --uid 10001 --home-dir /app sanad
COPY requirements.txt .
# Wheels only: a package built from source would fetch its build tools unpinned and unhashed.
RUN pip install --no-cache-dir --only-binary :all: --require-hashes -r requirements.txt
COPY --chown=sanad:sanad . .
# Production settings, so the files land in STATIC_ROOT (/app/staticfiles) with
# WhiteNoise's manifest. collectstatic runs no security check and needs no secret.
RUN python manage.py collectstatic --noinput -v0
USER sanad
EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi:application"]
