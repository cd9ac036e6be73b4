"""Celery beat: build each closed month's release (partners.stats), once."""

from __future__ import annotations

import logging

from celery import shared_task

from partners.stats import StatsError, release_build, releases_due

logger = logging.getLogger(__name__)


@shared_task(name="partners.tasks.build_due_releases")
def build_due_releases() -> list[str]:
    """Every closed month with counts and no release, oldest first. A month the budget refuses is
    logged and left: nothing is spent, and it waits for a person (a higher cap is a decision)."""
    built = []
    for month in releases_due():
        try:
            release, fresh = release_build(month)
        except StatsError as exc:
            logger.error("release %s not built: %s", month.strftime("%Y-%m"), exc)
            continue
        except Exception:  # one month's failure must not stop the months after it
            logger.exception("release %s not built", month.strftime("%Y-%m"))
            continue
        if fresh:
            built.append(str(release))
            logger.info("release %s built (rho %s)", release, release.rho)
    return built
