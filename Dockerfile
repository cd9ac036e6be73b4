# Production image: gunicorn web, Celery worker and beat all run from it (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN useradd --system --uid 10001 --home-dir /app sanad
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY --chown=sanad:sanad . .
# collectstatic needs settings but no secret: a throwaway dev-mode environment is enough here.
RUN SANAD_DEV=1 SANAD_VAR_DIR=/tmp/build-var python manage.py collectstatic --noinput -v0 \
    && rm -rf /tmp/build-var
USER sanad
EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi:application"]
