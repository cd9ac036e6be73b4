from django.core.management.base import BaseCommand, CommandError

from accounts.management.commands._input import staff_user
from accounts.services import MAX_CAPACITY, AccountError, coverage_set
from backend.places import IRAQ_NAMES


class Command(BaseCommand):
    help = "Set what a caseworker takes in triage: governorates (or country codes), languages, capacity."

    def add_arguments(self, parser):
        parser.add_argument("username")
        places = ", ".join(f"{code} {names[0]}" for code, names in IRAQ_NAMES.items())
        parser.add_argument(
            "--governorates",
            required=True,
            help=f"Comma-separated, e.g. IQ-BG,IQ-BA,TR. Iraq: {places}; abroad: a two-letter country code.",
        )
        parser.add_argument("--languages", required=True, help="Comma-separated from ar, ckb, en")
        parser.add_argument("--capacity", type=int, default=10, help=f"Open cases at most (1-{MAX_CAPACITY}).")
        parser.add_argument("--paused", action="store_true", help="Take no new reports for now.")

    def handle(self, *args, username, governorates, languages, capacity, paused, **options):
        user = staff_user(username)
        try:
            coverage = coverage_set(
                user=user,
                governorates=governorates.split(","),
                languages=languages.split(","),
                capacity=capacity,
                accepting=not paused,
            )
        except AccountError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{username} covers {', '.join(coverage.governorates)} in {', '.join(coverage.languages)}, "
            f"up to {coverage.capacity} open cases."
        )
