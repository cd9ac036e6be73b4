from django.core.management.base import BaseCommand, CommandError

from accounts.models import StaffUser
from accounts.roles import KeyPurpose
from accounts.services import AccountError, shared_key_create
from backend.crypto.hpke import DEFAULT_SUITE, Suite


class Command(BaseCommand):
    help = "Create an intake key pair; its private key is wrapped to the holder's personal key only."

    def add_arguments(self, parser):
        parser.add_argument("--holder", required=True, help="Username of the first key holder (a triage lead).")
        parser.add_argument("--suite", choices=[suite.value for suite in Suite], default=DEFAULT_SUITE.value)

    def handle(self, *args, holder, suite, **options):
        try:
            user = StaffUser.objects.get(username=holder)
        except StaffUser.DoesNotExist:
            raise CommandError(f"No staff user named {holder!r}.") from None
        try:
            key = shared_key_create(purpose=KeyPurpose.INTAKE, holder=user, suite=Suite(suite))
        except AccountError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Created intake key {key.key_id} ({key.suite}), held by {holder}.")
