"""`manage.py verify_audit`: check the audit chain end to end; exit non-zero naming the first bad entry."""

from django.core.management.base import BaseCommand, CommandError

from audit.actions import Action
from audit.services import audit_record
from audit.verify import parse_anchor, verify_chain


class Command(BaseCommand):
    help = (
        "Walk the audit chain in order, recompute every entry's keyed hash and check each link and that "
        "seq runs from 1 without gaps. Prints the head as 'seq S hash H'. Deleting the newest entries "
        "leaves a valid, shorter chain, so tail truncation is only detectable against an anchor: record "
        "the printed head somewhere this database's administrators cannot change (a ticket, a signed "
        "email, another system) and pass it later with --anchor SEQ:HASH. Read-only unless --record."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="SEQ:HASH",
            help="A head recorded earlier, outside this database; fails if that entry is gone or differs. Repeatable.",
        )
        parser.add_argument(
            "--record",
            action="store_true",
            help="Append an audit_verified entry with the outcome (the only write this command can make).",
        )
        parser.add_argument("--batch-size", type=int, default=2000, help="Entries fetched per round trip.")

    def handle(self, *args, anchor, record, batch_size, **options):
        try:
            anchors = [parse_anchor(text) for text in anchor]
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        report = verify_chain(anchors=anchors, batch_size=batch_size)
        if record:
            details = {
                "result": "ok" if report.ok else "failed",
                "entries": report.entries,
                "head_seq": report.head_seq,
            }
            if report.bad_seq is not None:
                details["bad_seq"] = report.bad_seq
            if anchors:
                details["anchors"] = len(anchors)
            audit_record(Action.AUDIT_VERIFIED, obj_type="audit_chain", details=details)
        if not report.ok:
            raise CommandError(report.problem)
        self.stdout.write(
            f"audit chain OK: {report.entries} entries, head seq {report.head_seq} hash {report.head_hash}"
        )
