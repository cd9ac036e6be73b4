"""Delete what retention allows (reports.retention) now, as the daily beat task does.

manage.py purge_reports [--dry-run]
"""

from django.core.management.base import BaseCommand

from reports.retention import reports_purge


class Command(BaseCommand):
    help = "Delete closed reports older than SANAD_RETENTION_CLOSED_DAYS and withdrawn reports (counts are kept)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")

    def handle(self, *args, dry_run, **options):
        result = reports_purge(dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(
            f"{verb} {result.deleted} reports; kept {result.kept_for_relocation} relocation still refers to"
        )
