"""Partners and their API tokens, for sysadmins without the admin at hand.

manage.py partner add "UN human-rights office" [--contact-file F]
manage.py partner token "UN human-rights office" [--days 365]   # prints the token once
manage.py partner revoke sanad_pt_AbC            # by the first characters the list shows
manage.py partner list
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.management.commands._input import read_optional_line
from backend.sealed_fields import seal_value
from partners.models import Partner, PartnerToken
from partners.tokens import token_issue, token_revoke


def _partner(name: str) -> Partner:
    partner = Partner.objects.filter(name=name).first()
    if partner is None:
        raise CommandError(f"No partner named {name!r}: `partner list` shows them.")
    return partner


class Command(BaseCommand):
    help = "Add partners, issue and revoke their API tokens (shown once), list them."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        add = commands.add_parser("add", help="Add a partner.")
        add.add_argument("name")
        add.add_argument("--contact-file", help="A file holding how to reach them (sealed; else asked).")
        token = commands.add_parser("token", help="Issue a token for a partner: printed once, never again.")
        token.add_argument("name")
        token.add_argument("--days", type=int, help="How long it lasts (default SANAD_PARTNER_TOKEN_DAYS).")
        revoke = commands.add_parser("revoke", help="Revoke a token, named by its first characters.")
        revoke.add_argument("prefix")
        commands.add_parser("list", help="Partners and their tokens (never the tokens themselves).")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _add(self, *, name, contact_file=None, **options):
        if Partner.objects.filter(name=name).exists():
            raise CommandError(f"A partner named {name!r} exists already.")
        contact = read_optional_line("How to reach them (optional): ", path=contact_file)
        with transaction.atomic():
            partner = Partner.objects.create(name=name)
            if contact:
                sealed = seal_value(partner, "contact_sealed", contact.encode("utf-8"))
                Partner.objects.filter(pk=partner.pk).update(contact_sealed=sealed)
        self.stdout.write(f"Partner {name!r} added. Next: manage.py partner token {name!r}")

    def _token(self, *, name, days=None, **options):
        if days is not None and not 1 <= days <= 3650:
            raise CommandError("--days must be between 1 and 3650.")
        row, token = token_issue(partner=_partner(name), days=days)
        self.stdout.write(f"Token for {name!r}, valid until {row.expires_at:%Y-%m-%d} (shown once, never again):")
        self.stdout.write(token)

    def _revoke(self, *, prefix, **options):
        matches = list(PartnerToken.objects.select_related("partner").filter(prefix=prefix[:12], revoked_at=None))
        if len(prefix) < 12 or len(matches) != 1:
            raise CommandError("Give the token's first 12 characters, as `partner list` shows them, of one live token.")
        token_revoke(token=matches[0])
        self.stdout.write(f"Revoked {prefix[:12]}… of {matches[0].partner.name!r}.")

    def _list(self, **options):
        for partner in Partner.objects.prefetch_related("tokens"):
            self.stdout.write(partner.name)
            for token in partner.tokens.all():
                state = "revoked" if token.revoked_at else f"until {token.expires_at:%Y-%m-%d}"
                self.stdout.write(f"  {token.prefix}…  {state}  used {token.uses} times")
