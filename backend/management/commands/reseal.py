from django.core.management.base import BaseCommand, CommandError

from backend.crypto.errors import CryptoError
from backend.sealed_fields import reseal_all


class Command(BaseCommand):
    help = "Re-seal every sealed field still under an older key with the first key of SANAD_SEALING_KEYS."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        try:
            results = reseal_all(batch_size=batch_size)
        except CryptoError as exc:
            raise CommandError(f"Stopped: {exc} Keep the old key in the ring until reseal completes.") from None
        for result in results:
            self.stdout.write(f"{result.model_label}.{result.field}: {result.resealed} of {result.examined} resealed")
