from django.core.management.base import BaseCommand, CommandError

from accounts.management.commands._input import staff_user
from accounts.services import AccountError, staff_deactivate


class Command(BaseCommand):
    help = "Deactivate a staff user and revoke every key grant they hold."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Also when they hold the last grant of a key: that key is retired and its content becomes unreadable.",
        )

    def handle(self, *args, username, force, **options):
        user = staff_user(username)
        try:
            revoked = staff_deactivate(user=user, force=force)
        except AccountError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Deactivated {username}; {revoked} key grant(s) revoked.")
