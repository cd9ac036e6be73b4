from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Refused: Sanad has no superusers (one would stand outside every role rule). Use create_staff."

    def add_arguments(self, parser):
        parser.add_argument("args", nargs="*")
        parser.add_argument("--noinput", "--no-input", action="store_true")
        parser.add_argument("--username")
        parser.add_argument("--email")
        parser.add_argument("--database")

    def handle(self, *args, **options):
        raise CommandError(
            "Sanad has no superusers. Create staff with: manage.py create_staff USERNAME --roles sysadmin"
        )
