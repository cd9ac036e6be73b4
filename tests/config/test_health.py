import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_ok_with_database_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok"}


def test_readyz_names_a_broken_database(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise RuntimeError("connection refused: password=hunter2")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reasons": ["database"]}
    assert b"hunter2" not in response.content


def test_readyz_names_an_unreachable_broker_without_its_url(client, settings):
    from config.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://:s3cretpass@127.0.0.1:1/0"
    try:
        response = client.get("/readyz")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reasons": ["broker"]}
    assert b"s3cretpass" not in response.content


@pytest.mark.services
def test_readyz_with_real_postgres_and_redis(client, settings):
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    response = client.get("/readyz")
    assert response.status_code == 200, response.content


def test_probes_answer_any_host_header(client, settings):
    """docker-compose probes with Host 127.0.0.1:8000, which production ALLOWED_HOSTS refuses."""
    settings.ALLOWED_HOSTS = ["sanad.example.org"]
    assert client.get("/healthz", HTTP_HOST="127.0.0.1:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="127.0.0.1:8000").status_code == 200
    assert client.get("/api/v1/intake-keys/", HTTP_HOST="127.0.0.1:8000").status_code == 400


def test_probes_refuse_writes(client):
    for path in ("/healthz", "/readyz"):
        response = client.post(path)
        assert response.status_code == 405 and response.json()["error"] == "method_not_allowed"


def test_readiness_is_computed_at_most_every_few_seconds(client, monkeypatch):
    from backend import health

    calls = []
    monkeypatch.setattr(health, "broker_ready", lambda: calls.append(1) or True)
    for _ in range(20):
        assert client.get("/readyz").status_code == 200
    assert len(calls) == 1
    health._ready_cache["failing"] = (health._ready_cache["failing"][0] - health.READY_CACHE_SECONDS, [])
    client.get("/readyz")
    assert len(calls) == 2


def test_a_probe_during_a_running_check_gets_the_last_answer(client, monkeypatch):
    from backend import health

    calls = []
    monkeypatch.setattr(health, "broker_ready", lambda: calls.append(1) or False)
    assert client.get("/readyz").status_code == 503
    health._ready_cache["failing"] = (health._ready_cache["failing"][0] - health.READY_CACHE_SECONDS, ["broker"])
    with health._ready_lock:  # another thread is checking right now
        assert client.get("/readyz").status_code == 503
    assert len(calls) == 1
