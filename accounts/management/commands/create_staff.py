from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.management.commands._input import read_optional_line, read_password
from accounts.roles import Role
from accounts.services import AccountError, staff_create


class Command(BaseCommand):
    help = "Create a staff user with roles; users who may decrypt get a personal key pair."

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

    def handle(self, *args, username, roles, contact_file, password_file, own_password, **options):
        role_list = [role.strip() for role in roles.split(",") if role.strip()]
        unknown = sorted(set(role_list) - set(Role.values))
        if unknown or not role_list:
            raise CommandError(
                f"Unknown or missing roles: {', '.join(unknown) or '(none)'}. Known: {', '.join(Role.values)}."
            )
        password = read_password(f"Password for {username}: ", password_file=password_file, confirm=True)
        contact = read_optional_line("Contact address (optional): ", path=contact_file)
        try:
            user = staff_create(
                username=username,
                password=password,
                roles=role_list,
                contact=contact,
                password_set_by_owner=own_password,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        except AccountError as exc:
            raise CommandError(str(exc)) from None
        has_key = hasattr(user, "personal_key")
        self.stdout.write(f"Created {username} ({', '.join(role_list)}){'; personal key created' if has_key else ''}.")
        if user.must_change_password:
            self.stdout.write(f"{username} chooses their own password at first login (with two-factor set-up).")
