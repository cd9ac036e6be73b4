"""Build a month's statistics release (partners.stats), once: run again, it prints the same release.

manage.py build_release 2026-11
manage.py build_release --due      # every closed month not yet released (what the beat task does)
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from partners.stats import StatsError, month_start, release_build, releases_due


class Command(BaseCommand):
    help = "Build and publish a closed month's statistics release (never rebuilt once published)."

    def add_arguments(self, parser):
        parser.add_argument("month", nargs="?", help="YYYY-MM")
        parser.add_argument("--due", action="store_true", help="every closed month with counts and no release")

    def handle(self, *args, month=None, due=False, **options):
        if bool(month) == due:
            raise CommandError("Give a month (YYYY-MM) or --due.")
        try:
            months = releases_due() if due else [month_start(month)]
            for first in months:
                release, fresh = release_build(first)
                said = "built" if fresh else "already published (unchanged)"
                self.stdout.write(f"{release}: {said}; rho {release.rho.normalize()}, sha256 {release.sha256}")
        except StatsError as exc:
            raise CommandError(str(exc)) from None
