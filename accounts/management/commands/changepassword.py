from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.management.commands._input import read_password, staff_user
from accounts.models import RoleProposal
from accounts.services import AccountError, staff_reset_password


class Command(BaseCommand):
    help = (
        "Reset a staff user's password without the old one (replaces Django's command). "
        "The user's personal key and every key grant are lost; a key holder must grant again. "
        "A decrypting role is taken away and proposed again: a key holder approves it once more."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--password-file", help="Read the new password from this file instead of asking.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Also when the user holds the last grant of a key: that key is retired and what was "
            "encrypted to it becomes unreadable.",
        )

    def handle(self, *args, username, password_file, force, **options):
        user = staff_user(username)
        password = read_password(f"New password for {username}: ", password_file=password_file, confirm=True)
        try:
            lost = staff_reset_password(user=user, new_password=password, force=force)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        except AccountError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Password reset for {username}; {lost} key grant(s) lost and must be granted again.")
        for proposal in RoleProposal.objects.filter(subject=user, state=RoleProposal.State.PENDING).order_by("role"):
            self.stdout.write(
                f"{proposal.role} is proposed again for {username} (proposal {proposal.pk}): a key holder approves "
                f"it once {username} has logged in and chosen their own password."
            )
