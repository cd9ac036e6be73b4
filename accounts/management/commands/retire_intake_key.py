from django.core.management.base import BaseCommand, CommandError

from accounts.management.commands._input import read_password, staff_user
from accounts.models import SharedKey
from accounts.roles import KeyPurpose
from accounts.services import AccountError, shared_key_retire
from backend.crypto.errors import CryptoError


class Command(BaseCommand):
    help = (
        "Stop offering an intake key to clients. Reports already encrypted to it stay readable. "
        "Only a holder of an intake key may retire one (asks for their password)."
    )

    def add_arguments(self, parser):
        parser.add_argument("key_id")
        parser.add_argument("--by", dest="holder", required=True, help="Username of a key holder (a triage lead).")
        parser.add_argument("--password-file", help="Read the holder's password from this file instead of asking.")

    def handle(self, *args, key_id, holder, password_file, **options):
        try:
            key = SharedKey.objects.get(key_id=key_id, purpose=KeyPurpose.INTAKE)
        except SharedKey.DoesNotExist:
            raise CommandError(f"No intake key {key_id!r}.") from None
        user = staff_user(holder)
        password = read_password(f"Password for {holder}: ", password_file=password_file)
        try:
            shared_key_retire(shared_key=key, holder=user, holder_password=password)
        except (AccountError, CryptoError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Retired intake key {key_id}.")
