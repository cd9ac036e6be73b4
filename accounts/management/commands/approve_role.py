from django.core.management.base import BaseCommand, CommandError

from accounts.management.commands._input import read_password, staff_user
from accounts.models import RoleProposal
from accounts.roles import DECRYPTING_ROLES
from accounts.services import AccountError, role_proposal_approve
from backend.crypto.errors import CryptoError


class Command(BaseCommand):
    help = (
        "Approve a proposed decrypting role (the second person of two): the approver holds a key of the role's "
        "kind and may grant it (a triage lead holding an intake key for caseworker and triage_lead; a relocation "
        "coordinator holding a relocation key for relocation_coordinator). Asks for the approver's password."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="Whose proposed role to approve.")
        parser.add_argument("role", choices=sorted(DECRYPTING_ROLES))
        parser.add_argument("--by", dest="approver", required=True, help="Username of the approving key holder.")
        parser.add_argument("--password-file", help="Read the approver's password from this file instead of asking.")

    def handle(self, *args, username, role, approver, password_file, **options):
        subject, approving = staff_user(username), staff_user(approver)
        proposal = RoleProposal.objects.filter(subject=subject, role=role, state=RoleProposal.State.PENDING).first()
        if proposal is None:
            raise CommandError(f"No pending proposal of {role} for {username}.")
        password = read_password(f"Password for {approver}: ", password_file=password_file)
        try:
            role_proposal_approve(proposal=proposal, approver=approving, approver_password=password, via="command_line")
        except (AccountError, CryptoError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Approved {role} for {username}; their sessions were ended.")
