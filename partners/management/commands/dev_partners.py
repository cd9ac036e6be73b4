"""Embedded dev mode only: a demo partner with a token (kept in var/, printed at every start), made-up
counts for the last closed month in the roll-up, and that month's release, so the partners' API has something to
serve. Safe to run again: the token, the counts and the release are made once."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from partners.models import Partner, PartnerToken, Release, StatsCount, StatsKind
from partners.stats import WIDER_REGIONS, StatsError, closed, release_build
from partners.tokens import token_authenticate, token_issue
from reports.vocabulary import Category

PARTNER = "Demo partner (dev)"
# Made-up counts (not from any report) for last month: a few large cells, several small ones, so the
# release shows figures and "<11" alike. Seeded, so every machine's demo looks the same.
DEMO_PLACES = ["IQ-BG", "IQ-BA", "IQ-DQ", "IQ-NI", "IQ-AR", "IQ-SU", "IQ-NA", "TR"]
# Reports a category, nationally: some far above the threshold, some far below it.
DEMO_TOTALS = {
    "phone_threat": 140,
    "telegram_doxxing": 60,
    "attempted_attack": 25,
    "kidnapping_attempt": 1,
    "surveillance": 3,
    "other": 0,
}


class Command(BaseCommand):
    help = "Partners' demo for the embedded dev mode (refuses to run in production)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, port, **options):
        if not settings.SANAD_DEV:
            raise CommandError("dev_partners runs only with SANAD_DEV=1.")
        partner, _created = Partner.objects.get_or_create(name=PARTNER)
        token = self._token(partner)
        month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
        if not closed(month):  # the first days of a month: last month's release is not due yet
            month = (month - timedelta(days=1)).replace(day=1)
        if not StatsCount.objects.filter(month=month).exists() and not Release.objects.filter(month=month).exists():
            self._demo_counts(month)
        if not Release.objects.filter(month=month).exists():
            try:
                release_build(month)
            except StatsError as exc:
                self.stdout.write(f"  (No demo release: {exc})")
        self.stdout.write(
            f"  Partner statistics ({PARTNER}): curl -H 'Authorization: Token {token}' "
            f"http://127.0.0.1:{port}/api/v1/stats/releases/"
        )

    def _token(self, partner: Partner) -> str:
        path = settings.VAR_DIR / "dev-partner-token"
        if path.exists():
            token = path.read_text(encoding="utf-8").strip()
            if token_authenticate(token) is not None:
                return token
        PartnerToken.objects.filter(partner=partner, revoked_at=None).update(revoked_at=timezone.now())
        _row, token = token_issue(partner=partner)
        path.write_text(token, encoding="utf-8")
        path.chmod(0o600)
        return token

    def _demo_counts(self, month) -> None:
        rng = random.Random(20261101)  # noqa: S311 (made-up demo numbers, not a secret)
        places = Counter()
        for category in Category.values:
            StatsCount.objects.create(
                kind=StatsKind.REPORT_CATEGORY, month=month, category=category, count=DEMO_TOTALS[category]
            )
            places.update(rng.choice(DEMO_PLACES) for _report in range(DEMO_TOTALS[category]))
        for place, count in places.items():
            StatsCount.objects.create(kind=StatsKind.REPORT_PLACE, month=month, governorate=place, count=count)
        for region in WIDER_REGIONS:
            StatsCount.objects.create(
                kind=StatsKind.PLACEMENT, month=month, region=region, count=rng.choice([2, 9, 16])
            )
