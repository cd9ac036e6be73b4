from django.core.management.base import BaseCommand, CommandError

from accounts.management.commands._input import read_password, staff_user
from accounts.roles import KeyPurpose
from accounts.services import AccountError, shared_key_create
from backend.crypto.errors import CryptoError
from backend.crypto.hpke import DEFAULT_SUITE, Suite


class Command(BaseCommand):
    help = (
        "Create a relocation key pair (safe-house addresses and referral needs are encrypted to it); its private "
        "key is wrapped to the holder's personal key only. Asks for the holder's password."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--holder", required=True, help="Username of the first key holder (a relocation coordinator)."
        )
        parser.add_argument("--suite", choices=[suite.value for suite in Suite], default=DEFAULT_SUITE.value)
        parser.add_argument("--password-file", help="Read the holder's password from this file instead of asking.")

    def handle(self, *args, holder, suite, password_file, **options):
        user = staff_user(holder)
        password = read_password(f"Password for {holder}: ", password_file=password_file)
        try:
            key = shared_key_create(
                purpose=KeyPurpose.RELOCATION, holder=user, holder_password=password, suite=Suite(suite)
            )
        except (AccountError, CryptoError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Created relocation key {key.key_id} ({key.suite}), held by {holder}.")
        self.stdout.write(
            "It is used once a second coordinator holds it: the holder grants it from the key's page in the admin."
        )
