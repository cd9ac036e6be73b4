"""What create_intake_key and create_relocation_key share: a shared key made for one holder, who types
their password."""

from django.core.management.base import BaseCommand, CommandError

from accounts.management.commands._input import read_password, staff_user
from accounts.services import AccountError, shared_key_create
from backend.crypto.errors import CryptoError
from backend.crypto.hpke import DEFAULT_SUITE, Suite


class CreateSharedKeyCommand(BaseCommand):
    purpose: str  # accounts.roles.KeyPurpose
    word: str  # the key's kind in the messages: "intake", "relocation"
    holder_help: str
    next_step: str  # what to do once it exists

    def add_arguments(self, parser):
        parser.add_argument("--holder", required=True, help=self.holder_help)
        parser.add_argument("--suite", choices=[suite.value for suite in Suite], default=DEFAULT_SUITE.value)
        parser.add_argument("--password-file", help="Read the holder's password from this file instead of asking.")

    def handle(self, *args, holder, suite, password_file, **options):
        user = staff_user(holder)
        password = read_password(f"Password for {holder}: ", password_file=password_file)
        try:
            key = shared_key_create(purpose=self.purpose, holder=user, holder_password=password, suite=Suite(suite))
        except (AccountError, CryptoError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Created {self.word} key {key.key_id} ({key.suite}), held by {holder}.")
        self.stdout.write(self.next_step)
