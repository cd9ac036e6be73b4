from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.management.commands._input import read_optional_line, read_password
from accounts.models import RoleProposal
from accounts.roles import DECRYPTING_ROLES, Role
from accounts.services import AccountError, role_bootstrap, staff_create


class Command(BaseCommand):
    help = (
        "Create a staff user with roles; users who may decrypt get a personal key pair. A decrypting role "
        "(caseworker, triage_lead, relocation_coordinator) is only proposed: a key holder approves it in the "
        "admin (Role proposals) or with approve_role. --bootstrap gives the first triage lead or relocation "
        "coordinator their role at once, only while no key of its kind exists (nobody could approve it)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--roles",
            required=True,
            help=f"Comma-separated, from: {', '.join(Role.values)}",
        )
        parser.add_argument(
            "--contact-file",
            help="Read a contact address for notifications (stored sealed) from this file; "
            "on a terminal it is asked for instead. Never on the command line: it would show in ps and history.",
        )
        parser.add_argument("--password-file", help="Read the password from this file instead of asking.")
        parser.add_argument(
            "--own-password",
            action="store_true",
            help="The new staff member typed the password at this prompt themselves. Without it they must choose "
            "their own at first login, and get a personal key (and can be granted keys) only then.",
        )
        parser.add_argument(
            "--bootstrap",
            action="store_true",
            help="Give a triage_lead or relocation_coordinator role at once, without a key holder's approval. "
            "Refused once any key of its kind (intake, relocation) exists: from then on a holder approves. "
            "Recorded on the audit chain as given on the server.",
        )

    def handle(self, *args, username, roles, contact_file, password_file, own_password, bootstrap, **options):
        role_list = [role.strip() for role in roles.split(",") if role.strip()]
        unknown = sorted(set(role_list) - set(Role.values))
        if unknown or not role_list:
            raise CommandError(
                f"Unknown or missing roles: {', '.join(unknown) or '(none)'}. Known: {', '.join(Role.values)}."
            )
        password = read_password(f"Password for {username}: ", password_file=password_file, confirm=True)
        contact = read_optional_line("Contact address (optional): ", path=contact_file)
        if bootstrap and not DECRYPTING_ROLES & set(role_list):
            raise CommandError("--bootstrap is for a decrypting role (triage_lead, relocation_coordinator).")
        try:
            # All or nothing: a refused bootstrap leaves no account behind.
            with transaction.atomic():
                user = staff_create(
                    username=username,
                    password=password,
                    roles=role_list,
                    contact=contact,
                    password_set_by_owner=own_password,
                    via="command_line",
                )
                pending = list(RoleProposal.objects.filter(subject=user, state=RoleProposal.State.PENDING))
                if bootstrap:
                    for proposal in pending:
                        role_bootstrap(proposal=proposal)
                    pending = []
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        except AccountError as exc:
            raise CommandError(str(exc)) from None
        has_key = hasattr(user, "personal_key")
        given = sorted(set(role_list) - {proposal.role for proposal in pending})
        self.stdout.write(
            f"Created {username} ({', '.join(given) or 'no role yet'}){'; personal key created' if has_key else ''}."
        )
        for proposal in sorted(pending, key=lambda p: p.role):
            self.stdout.write(
                f"Proposed {proposal.role} for {username} (proposal {proposal.pk}): it takes effect once a key "
                f"holder approves it (admin: Role proposals; or approve_role {username} {proposal.role} --by ...)."
            )
        if bootstrap:
            self.stdout.write(f"Gave {', '.join(sorted(DECRYPTING_ROLES & set(role_list)))} as first holder.")
        if user.must_change_password:
            self.stdout.write(f"{username} chooses their own password at first login (with two-factor set-up).")
            if pending:
                self.stdout.write("A proposed role can be approved only after that.")
