from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.management.commands._input import read_password
from accounts.models import SharedKey, StaffUser
from accounts.roles import KeyPurpose
from accounts.services import AccountError, key_grant_create, key_grant_password_check
from backend.crypto.errors import CryptoError


class Command(BaseCommand):
    help = "Grant intake keys held by one staff member to another (asks for the grantor's password)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="grantor", required=True)
        parser.add_argument("--to", dest="grantee", required=True)
        parser.add_argument("--key-id", help="Only this key (default: every active intake key the grantor holds).")
        parser.add_argument("--password-file", help="Read the grantor's password from this file instead of asking.")

    def handle(self, *args, grantor, grantee, key_id, password_file, **options):
        users = {user.username: user for user in StaffUser.objects.filter(username__in=[grantor, grantee])}
        for name in (grantor, grantee):
            if name not in users:
                raise CommandError(f"No staff user named {name!r}.")
        keys = SharedKey.objects.filter(purpose=KeyPurpose.INTAKE, grants__holder=users[grantor])
        keys = keys.filter(key_id=key_id) if key_id else keys.filter(active=True)
        keys = list(keys.order_by("created_at"))
        if not keys:
            raise CommandError(f"{grantor} holds no {'such' if key_id else 'active'} intake key.")
        password = read_password(f"Password for {grantor}: ", password_file=password_file)
        # The password is tried first, outside the transaction below: a wrong one is recorded on the audit
        # chain and counted against the grantor's budget, which a rollback would otherwise undo.
        try:
            key_grant_password_check(
                shared_key=keys[0], grantor=users[grantor], grantor_password=password, grantee=users[grantee]
            )
        except (AccountError, CryptoError) as exc:
            raise CommandError(f"{exc} No grant was made.") from None
        # All or nothing: a failure on one key leaves no grant of the others.
        with transaction.atomic():
            for key in keys:
                try:
                    key_grant_create(
                        shared_key=key, grantor=users[grantor], grantor_password=password, grantee=users[grantee]
                    )
                except (AccountError, CryptoError) as exc:
                    raise CommandError(f"{key.key_id}: {exc} No grant was made.") from None
        for key in keys:
            self.stdout.write(f"Granted {key.key_id} to {grantee}.")
