"""Embedded dev mode only: print the current TOTP code of a demo account (its authenticator app, in effect)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import totp
from accounts.models import StaffUser


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo staff account (refuses to run outside SANAD_DEV=1)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        if not settings.SANAD_DEV:
            raise CommandError("dev_totp runs only with SANAD_DEV=1: in production, codes come from the user's phone.")
        user = StaffUser.objects.filter(username=username, username__startswith="demo-").first()
        device = totp.confirmed_device(user) if user else None
        if device is None:
            raise CommandError(f"No demo account {username!r} with two-factor login set up (run `make run` first).")
        self.stdout.write(totp.current_code(device))
