from django.core.management.base import BaseCommand, CommandError

from accounts.management.commands._input import staff_user
from accounts.models import Coverage
from accounts.roles import Role
from reports.vocabulary import LANGUAGES, PLACES


class Command(BaseCommand):
    help = "Set what a caseworker takes in triage: governorates (or country codes), languages, capacity."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--governorates", required=True, help="Comma-separated, e.g. IQ-BG,IQ-BA,TR")
        parser.add_argument("--languages", required=True, help="Comma-separated from ar, ckb, en")
        parser.add_argument("--capacity", type=int, default=10, help="Open cases at most (1-1000).")
        parser.add_argument("--paused", action="store_true", help="Take no new reports for now.")

    def handle(self, *args, username, governorates, languages, capacity, paused, **options):
        user = staff_user(username)
        if Role.CASEWORKER not in user.role_names:
            raise CommandError(f"{username} is not a caseworker.")
        places = sorted({g.strip() for g in governorates.split(",") if g.strip()})
        langs = sorted({code.strip() for code in languages.split(",") if code.strip()})
        unknown = [p for p in places if p not in PLACES] + [code for code in langs if code not in LANGUAGES]
        if unknown or not places or not langs:
            raise CommandError(f"Unknown or missing: {', '.join(unknown) or 'governorates or languages'}.")
        if not 1 <= capacity <= 1000:
            raise CommandError("Capacity is 1 to 1000.")
        Coverage.objects.update_or_create(
            user=user,
            defaults={"governorates": places, "languages": langs, "capacity": capacity, "accepting": not paused},
        )
        self.stdout.write(f"{username} covers {', '.join(places)} in {', '.join(langs)}, up to {capacity} open cases.")
