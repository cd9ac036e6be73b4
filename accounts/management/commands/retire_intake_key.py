from django.core.management.base import BaseCommand, CommandError

from accounts.models import SharedKey
from accounts.roles import KeyPurpose
from accounts.services import shared_key_retire


class Command(BaseCommand):
    help = "Stop offering an intake key to clients. Reports already encrypted to it stay readable."

    def add_arguments(self, parser):
        parser.add_argument("key_id")

    def handle(self, *args, key_id, **options):
        try:
            key = SharedKey.objects.get(key_id=key_id, purpose=KeyPurpose.INTAKE)
        except SharedKey.DoesNotExist:
            raise CommandError(f"No intake key {key_id!r}.") from None
        shared_key_retire(shared_key=key)
        self.stdout.write(f"Retired intake key {key_id}.")
