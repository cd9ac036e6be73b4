"""Command line for reporters: python -m client {submit,status,followup,evidence,withdraw}.

The receipt and reply key are printed once and never written to disk, unless
--save names a vault file, which is encrypted under a passphrase; then only the
receipt is printed (to be written down), and the reply key stays in the vault.
They are never read from the command line (shell history, process lists): a
vault or a prompt that does not echo.
"""

from __future__ import annotations

import argparse
import getpass
import mimetypes
import os
import sys
from pathlib import Path

from client import vault
from client.api import ClientError, SanadClient, Triage
from client.images import strip_metadata
from client.receipts import receipt_canonical

FLAGS = ["death_threat", "home_address_exposed", "photo_exposed", "family_targeted", "followed", "weapon_seen"]
CATEGORIES = ["phone_threat", "telegram_doxxing", "attempted_attack", "kidnapping_attempt", "surveillance", "other"]
# ISO 3166-2:IQ: the 18 governorates, Halabja and the Kurdistan Region (the server's list).
GOVERNORATES = {
    "IQ-AN": "Anbar",
    "IQ-AR": "Erbil",
    "IQ-BA": "Basra",
    "IQ-BB": "Babil",
    "IQ-BG": "Baghdad",
    "IQ-DA": "Duhok",
    "IQ-DI": "Diyala",
    "IQ-DQ": "Dhi Qar",
    "IQ-KA": "Karbala",
    "IQ-KI": "Kirkuk",
    "IQ-MA": "Maysan",
    "IQ-MU": "Muthanna",
    "IQ-NA": "Najaf",
    "IQ-NI": "Nineveh",
    "IQ-QA": "Al-Qadisiyah",
    "IQ-SD": "Salah al-Din",
    "IQ-SU": "Sulaymaniyah",
    "IQ-WA": "Wasit",
    "IQ-HA": "Halabja",
    "IQ-KR": "Kurdistan Region",
}

# Every sentence this module prints, in one place so it can be translated.
MESSAGES = {
    "passphrase_prompt": "Vault passphrase: ",
    "passphrase_again": "Again: ",
    "passphrases_differ": "The two passphrases differ, so nothing was sent.",
    "receipt_prompt": "Receipt: ",
    "reply_key_prompt": "Reply key (Enter to skip): ",
    "contact_prompt": "Contact (not echoed): ",
    "write_narrative": "Write what happened; end with Ctrl-D.",
    "saved": "Receipt and reply key saved, encrypted, to {path}.",
    "save_failed": "The vault could not be saved to {path}: write down the receipt and reply key below now.",
    "receipt": "Receipt: {receipt}",
    "reply_key": "Reply key: {reply_key}",
    "keep_both": "Keep both secret: the receipt lets you follow up or withdraw; the reply key reads answers.",
    "keep_receipt": (
        "Write the receipt down and keep it secret: it lets you follow up or withdraw even without the vault."
    ),
    "status": "Status: {status} (updated {updated})",
    "reply": "--- reply {sent_at}\n{body}",
    "followup_sent": "Follow-up sent.",
    "photo_cleaned": "Photo metadata (EXIF, GPS, camera) removed.",
    "cannot_clean": (
        "This client can clean only JPEG, PNG and WebP photos. Videos, PDFs and documents can hold a "
        "location, a device or an author: pass --allow-unstripped to send this file as it is."
    ),
    "evidence_sent": "Evidence sent.",
    "withdrawn": "Report withdrawn: its content is deleted and the receipt no longer works.",
    "bad_governorate": (
        "{code} is not a place code this client knows: give a governorate code from submit --help "
        "(IQ-BG for Baghdad, for example) or, when abroad, a two-letter country code (TR for Turkey, for example)."
    ),
    "file_missing": "The file {name} does not exist.",
    "file_forbidden": "This client is not allowed to open the file {name}.",
    "file_is_folder": "{name} is a folder, not a file.",
    "file_failed": "The file {name} could not be read or written.",
    "io_failed": "A file could not be read or written.",
    "not_text": "A file could not be read as text: save it as UTF-8 and try again.",
    "stopped": "Stopped.",
}
GOVERNORATE_HELP = "\n".join(
    ["Governorate codes for --governorate (ISO 3166-2:IQ):"]
    + [f"  {code}  {name}" for code, name in GOVERNORATES.items()]
    + [
        "Reporters outside Iraq give the two-letter code of the country they are in,",
        "for example TR (Turkey), JO (Jordan) or DE (Germany).",
    ]
)


def governorate(text: str) -> str:
    """An argparse type: a code from GOVERNORATES or a two-letter country code, in capitals."""
    code = text.strip().upper()
    if code in GOVERNORATES or (len(code) == 2 and code.isascii() and code.isalpha()):
        return code
    raise argparse.ArgumentTypeError(MESSAGES["bad_governorate"].format(code=text.strip()[:20]))


def _passphrase(args, *, confirm: bool = False) -> str:
    if args.passphrase_file:
        return Path(args.passphrase_file).read_text(encoding="utf-8").rstrip("\r\n")
    phrase = getpass.getpass(MESSAGES["passphrase_prompt"])
    if confirm and getpass.getpass(MESSAGES["passphrase_again"]) != phrase:
        raise SystemExit(MESSAGES["passphrases_differ"])
    return phrase


def _secrets(args) -> tuple[str, str | None]:
    """The receipt (canonical, or MalformedReceipt before anything else happens) and the reply key."""
    if args.vault:
        stored = vault.load(Path(args.vault), _passphrase(args))
        return receipt_canonical(stored["receipt"]), stored.get("reply_key")
    receipt = receipt_canonical(getpass.getpass(MESSAGES["receipt_prompt"]))
    reply_key = getpass.getpass(MESSAGES["reply_key_prompt"]).strip() or None
    return receipt, reply_key


def _narrative(args) -> str:
    if args.narrative_file:
        return Path(args.narrative_file).read_text(encoding="utf-8")
    print(MESSAGES["write_narrative"], file=sys.stderr)
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
        {"method": args.contact_method, "value": getpass.getpass(MESSAGES["contact_prompt"])}
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
    saved = False
    if args.save:
        try:
            vault.save(Path(args.save), {"receipt": result.receipt, "reply_key": result.reply_key}, phrase)
            saved = True
        except (OSError, vault.VaultError):
            print(MESSAGES["save_failed"].format(path=args.save), file=sys.stderr)
    if saved:
        # A phone may be searched: the reply key stays in the encrypted vault only. The receipt is
        # shown once so it can be written down, for when the vault is lost.
        print(MESSAGES["saved"].format(path=args.save))
        print(MESSAGES["receipt"].format(receipt=result.receipt))
        print(MESSAGES["keep_receipt"])
    else:
        print(MESSAGES["receipt"].format(receipt=result.receipt))
        print(MESSAGES["reply_key"].format(reply_key=result.reply_key))
        print(MESSAGES["keep_both"])


def cmd_status(args) -> None:
    receipt, reply_key = _secrets(args)
    status = SanadClient(args.server).status(receipt, reply_key)
    print(MESSAGES["status"].format(status=status.status, updated=status.updated))
    for reply in status.replies:
        print(MESSAGES["reply"].format(sent_at=reply.get("sent_at", ""), body=reply.get("body", "")))


def cmd_followup(args) -> None:
    receipt, _ = _secrets(args)
    SanadClient(args.server).follow_up(receipt, _narrative(args))
    print(MESSAGES["followup_sent"])


def cmd_evidence(args) -> None:
    receipt, _ = _secrets(args)
    path = Path(args.file)
    data = path.read_bytes()
    # Judged by content, not by name: photos saved from messengers often have no extension or .bin.
    try:
        data, media_type = strip_metadata(data)
        print(MESSAGES["photo_cleaned"])
    except ValueError:
        if not args.allow_unstripped:
            raise SystemExit(MESSAGES["cannot_clean"]) from None
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    # The original file name can identify a phone or a moment; send a neutral one unless asked.
    suffix = mimetypes.guess_extension(media_type) or ""
    filename = path.name if args.keep_filename else f"evidence{suffix}"
    SanadClient(args.server).add_evidence(receipt, data=data, filename=filename, media_type=media_type)
    print(MESSAGES["evidence_sent"])


def cmd_withdraw(args) -> None:
    receipt, _ = _secrets(args)
    SanadClient(args.server).withdraw(receipt)
    print(MESSAGES["withdrawn"])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m client", description="Report a threat to Sanad, encrypted on this device."
    )
    parser.add_argument("--server", required=True, help="e.g. https://sanad.example.org")
    sub = parser.add_subparsers(dest="command", required=True)

    submit = sub.add_parser(
        "submit",
        help="Submit a new report.",
        description="Submit a new report, encrypted on this device.",
        epilog=GOVERNORATE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    submit.add_argument("--category", required=True, choices=CATEGORIES)
    submit.add_argument(
        "--governorate",
        required=True,
        type=governorate,
        metavar="CODE",
        help="Where you are: a governorate code listed below (e.g. IQ-BG), or a country code such as TR when abroad.",
    )
    submit.add_argument("--month", required=True, help="YYYY-MM of the incident")
    submit.add_argument("--language", default="ar", choices=["ar", "ckb", "en"])
    submit.add_argument("--danger", action="store_true", help="I am in immediate danger.")
    submit.add_argument("--relocation", action="store_true", help="I need to relocate.")
    submit.add_argument("--flag", action="append", default=[], choices=FLAGS)
    submit.add_argument("--phone", action="append", default=[], help="A number that threatened you.")
    submit.add_argument("--telegram", action="append", default=[], help="A channel or user that named you.")
    submit.add_argument("--contact-method", choices=["signal", "phone", "email"], help="Asked for, not echoed.")
    submit.add_argument("--narrative-file")
    submit.add_argument(
        "--save",
        help="Vault file to keep the receipt and reply key in, encrypted. The reply key is then not shown.",
    )
    submit.set_defaults(func=cmd_submit)

    for name, func, text in (
        ("status", cmd_status, "Status and replies."),
        ("followup", cmd_followup, "Add to your report."),
        ("evidence", cmd_evidence, "Send a file (photos are cleaned first)."),
        ("withdraw", cmd_withdraw, "Withdraw and delete your report."),
    ):
        command = sub.add_parser(name, help=text, description=text)
        command.add_argument("--vault", help="Vault file written by submit --save (else you are asked).")
        command.set_defaults(func=func)
        if name == "followup":
            command.add_argument("--narrative-file")
        if name == "evidence":
            command.add_argument("file", help="The photo or file to send.")
            command.add_argument(
                "--keep-filename",
                action="store_true",
                help="Send the file under its original name instead of a neutral one such as evidence.jpg. "
                "Careful: a name like IMG_20261121_093012.jpg can identify your phone or the moment you took it.",
            )
            command.add_argument(
                "--allow-unstripped",
                action="store_true",
                help="Send a file this client cannot clean (video, PDF, document) as it is, with whatever "
                "location, device or author it holds.",
            )
    for command in sub.choices.values():
        command.add_argument("--passphrase-file", help="Read the vault passphrase from this file (automation).")
    return parser


def _file_problem(exc: OSError) -> str:
    if exc.filename is None:
        return MESSAGES["io_failed"]
    name = os.fsdecode(exc.filename)
    if isinstance(exc, FileNotFoundError):
        return MESSAGES["file_missing"].format(name=name)
    if isinstance(exc, PermissionError):
        return MESSAGES["file_forbidden"].format(name=name)
    if isinstance(exc, IsADirectoryError):
        return MESSAGES["file_is_folder"].format(name=name)
    return MESSAGES["file_failed"].format(name=name)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Every message below is one plain sentence: no traceback, no raw error, and never a
    # receipt, a reply key or what the reporter wrote.
    try:
        args.func(args)
    except ClientError as exc:  # the server refused, or could not be reached
        print(str(exc), file=sys.stderr)
        return 1
    except UnicodeDecodeError:
        print(MESSAGES["not_text"], file=sys.stderr)
        return 1
    except (vault.VaultError, ValueError) as exc:  # this client's own, already plain sentences
        print(str(exc), file=sys.stderr)
        return 1
    except OSError as exc:
        print(_file_problem(exc), file=sys.stderr)
        return 1
    except (KeyboardInterrupt, EOFError):
        print(MESSAGES["stopped"], file=sys.stderr)
        return 130
    return 0
