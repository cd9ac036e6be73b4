"""Command line for reporters: python -m client {submit,status,followup,evidence,withdraw}.

The receipt and reply key are printed once and never written to disk, unless
--save names a vault file, which is encrypted under a passphrase. They are
never read from the command line (shell history, process lists): a vault or a
prompt that does not echo.
"""

from __future__ import annotations

import argparse
import getpass
import mimetypes
import sys
from pathlib import Path

from client import vault
from client.api import ClientError, SanadClient, Triage
from client.images import strip_metadata

FLAGS = ["death_threat", "home_address_exposed", "photo_exposed", "family_targeted", "followed", "weapon_seen"]
CATEGORIES = ["phone_threat", "telegram_doxxing", "attempted_attack", "kidnapping_attempt", "surveillance", "other"]


def _passphrase(args, *, confirm: bool = False) -> str:
    if args.passphrase_file:
        return Path(args.passphrase_file).read_text(encoding="utf-8").rstrip("\r\n")
    phrase = getpass.getpass("Vault passphrase: ")
    if confirm and getpass.getpass("Again: ") != phrase:
        raise SystemExit("The passphrases differ.")
    return phrase


def _secrets(args) -> tuple[str, str | None]:
    if args.vault:
        stored = vault.load(Path(args.vault), _passphrase(args))
        return stored["receipt"], stored.get("reply_key")
    receipt = getpass.getpass("Receipt: ")
    reply_key = getpass.getpass("Reply key (Enter to skip): ") or None
    return receipt, reply_key


def _narrative(args) -> str:
    if args.narrative_file:
        return Path(args.narrative_file).read_text(encoding="utf-8")
    print("Write what happened; end with Ctrl-D.", file=sys.stderr)
    return sys.stdin.read()


def cmd_submit(args) -> None:
    indicators = [{"type": "phone", "value": v} for v in args.phone] + [
        {"type": "telegram", "value": v} for v in args.telegram
    ]
    triage = Triage(
        category=args.category,
        governorate=args.governorate,
        incident_month=args.month,
        language=args.language,
        immediate_danger=args.danger,
        needs_relocation=args.relocation,
        flags=args.flag,
        indicators=indicators,
    )
    contact = (
        {"method": args.contact_method, "value": getpass.getpass("Contact (not echoed): ")}
        if args.contact_method
        else None
    )
    narrative = _narrative(args)
    client = SanadClient(args.server)
    # Everything that could fail locally is settled before the report exists: a
    # report whose receipt is lost can never be followed up or withdrawn.
    phrase = None
    if args.save:
        phrase = _passphrase(args, confirm=not args.passphrase_file)
        vault.check_passphrase(phrase)
    result = client.submit(narrative=narrative, triage=triage, contact=contact)
    if args.save:
        try:
            vault.save(Path(args.save), {"receipt": result.receipt, "reply_key": result.reply_key}, phrase)
            print(f"Receipt and reply key saved, encrypted, to {args.save}.")
        except (OSError, vault.VaultError) as exc:
            print(f"Could not save the vault ({exc}); write the receipt and reply key down now.", file=sys.stderr)
            print(f"Reply key: {result.reply_key}")
    print(f"Receipt: {result.receipt}")
    if not args.save:
        print(f"Reply key: {result.reply_key}")
    print("Keep both secret: the receipt lets you follow up or withdraw; the reply key reads answers.")


def cmd_status(args) -> None:
    receipt, reply_key = _secrets(args)
    status = SanadClient(args.server).status(receipt, reply_key)
    print(f"Status: {status.status} (updated {status.updated})")
    for reply in status.replies:
        print(f"--- reply {reply.get('sent_at', '')}\n{reply.get('body', '')}")


def cmd_followup(args) -> None:
    receipt, _ = _secrets(args)
    SanadClient(args.server).follow_up(receipt, _narrative(args))
    print("Follow-up sent.")


def cmd_evidence(args) -> None:
    receipt, _ = _secrets(args)
    path = Path(args.file)
    data = path.read_bytes()
    # Judged by content, not by name: photos saved from messengers often have no extension or .bin.
    try:
        data, media_type = strip_metadata(data)
        print("Photo metadata (EXIF, GPS, camera) removed.")
    except ValueError:
        if not args.allow_unstripped:
            raise SystemExit(
                "This client can clean only JPEG, PNG and WebP photos. Videos, PDFs and documents can hold a "
                "location, a device or an author: pass --allow-unstripped to send this file as it is."
            ) from None
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    guessed = media_type
    # The original file name can identify a phone or a moment; send a neutral one unless asked.
    suffix = mimetypes.guess_extension(guessed) or ""
    filename = path.name if args.keep_filename else f"evidence{suffix}"
    SanadClient(args.server).add_evidence(receipt, data=data, filename=filename, media_type=guessed)
    print("Evidence sent.")


def cmd_withdraw(args) -> None:
    receipt, _ = _secrets(args)
    SanadClient(args.server).withdraw(receipt)
    print("Report withdrawn: its content is deleted and the receipt no longer works.")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m client", description="Report a threat to Sanad, encrypted on this device."
    )
    parser.add_argument("--server", required=True, help="e.g. https://sanad.example.org")
    sub = parser.add_subparsers(dest="command", required=True)

    submit = sub.add_parser("submit", help="Submit a new report.")
    submit.add_argument("--category", required=True, choices=CATEGORIES)
    submit.add_argument("--governorate", required=True, help="e.g. IQ-BG, IQ-BA, IQ-KR, or TR when abroad")
    submit.add_argument("--month", required=True, help="YYYY-MM of the incident")
    submit.add_argument("--language", default="ar", choices=["ar", "ckb", "en"])
    submit.add_argument("--danger", action="store_true", help="I am in immediate danger.")
    submit.add_argument("--relocation", action="store_true", help="I need to relocate.")
    submit.add_argument("--flag", action="append", default=[], choices=FLAGS)
    submit.add_argument("--phone", action="append", default=[], help="A number that threatened you.")
    submit.add_argument("--telegram", action="append", default=[], help="A channel or user that named you.")
    submit.add_argument("--contact-method", choices=["signal", "phone", "email"], help="Asked for, not echoed.")
    submit.add_argument("--narrative-file")
    submit.add_argument("--save", help="Vault file to keep the receipt and reply key in, encrypted.")
    submit.set_defaults(func=cmd_submit)

    for name, func, text in (
        ("status", cmd_status, "Status and replies."),
        ("followup", cmd_followup, "Add to your report."),
        ("evidence", cmd_evidence, "Send a file (photos are cleaned first)."),
        ("withdraw", cmd_withdraw, "Withdraw and delete your report."),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument("--vault", help="Vault file written by submit --save (else you are asked).")
        command.set_defaults(func=func)
        if name == "followup":
            command.add_argument("--narrative-file")
        if name == "evidence":
            command.add_argument("file")
            command.add_argument("--keep-filename", action="store_true")
            command.add_argument("--allow-unstripped", action="store_true")
    for command in sub.choices.values():
        command.add_argument("--passphrase-file", help="Read the vault passphrase from this file (automation).")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except ClientError as exc:
        print(f"The server refused: {exc}", file=sys.stderr)
        return 1
    except (vault.VaultError, ValueError, OSError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    return 0
