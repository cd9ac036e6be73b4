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

from client import i18n, vault
from client.api import ClientError, SanadClient, Triage
from client.i18n import N_, _, _f, language
from client.images import strip_metadata
from client.receipts import receipt_canonical

# The codes stay codes on the command line; their words are shown in submit --help.
CATEGORIES = {
    # Translators: a category of report, after its code (phone_threat) in submit --help.
    "phone_threat": N_("Threat by phone"),
    # Translators: a category of report, after its code (telegram_doxxing) in submit --help.
    "telegram_doxxing": N_("Named or pictured on Telegram"),
    # Translators: a category of report, after its code (attempted_attack) in submit --help.
    "attempted_attack": N_("Attempted attack"),
    # Translators: a category of report, after its code (kidnapping_attempt) in submit --help.
    "kidnapping_attempt": N_("Kidnapping attempt"),
    # Translators: a category of report, after its code (surveillance) in submit --help.
    "surveillance": N_("Followed or watched"),
    # Translators: a category of report, after its code (other) in submit --help.
    "other": N_("Other"),
}
FLAGS = {
    # Translators: what --flag death_threat says, in submit --help.
    "death_threat": N_("You were threatened with death."),
    # Translators: what --flag home_address_exposed says, in submit --help.
    "home_address_exposed": N_("Your home address was exposed."),
    # Translators: what --flag photo_exposed says, in submit --help.
    "photo_exposed": N_("Your photo was exposed."),
    # Translators: what --flag family_targeted says, in submit --help.
    "family_targeted": N_("Your family was targeted."),
    # Translators: what --flag followed says, in submit --help.
    "followed": N_("You were followed."),
    # Translators: what --flag weapon_seen says, in submit --help.
    "weapon_seen": N_("A weapon was seen."),
}
# ISO 3166-2:IQ: the 18 governorates, Halabja and the Kurdistan Region (the server's list).
GOVERNORATES = {
    # Translators: a governorate of Iraq (or the Kurdistan Region), by its usual name.
    "IQ-AN": N_("Anbar"),
    # Translators: a governorate of Iraq (or the Kurdistan Region), by its usual name.
    "IQ-AR": N_("Erbil"),
    # Translators: a governorate of Iraq (or the Kurdistan Region), by its usual name.
    "IQ-BA": N_("Basra"),
    # Translators: a governorate of Iraq (or the Kurdistan Region), by its usual name.
    "IQ-BB": N_("Babil"),
    # Translators: a governorate of Iraq (or the Kurdistan Region), by its usual name.
    "IQ-BG": N_("Baghdad"),
    # Translators: a governorate of Iraq (or the Kurdistan Region), by its usual name.
    "IQ-DA": N_("Duhok"),
    # Translators: a governorate of Iraq (or the Kurdistan Region), by its usual name.
    "IQ-DI": N_("Diyala"),
    # Translators: a governorate of Iraq (or the Kurdistan Region), by its usual name.
    "IQ-DQ": N_("Dhi Qar"),
    # Translators: a governorate of Iraq (or the Kurdistan Region), by its usual name.
    "IQ-KA": N_("Karbala"),
    # Translators: a governorate of Iraq (or the Kurdistan Region), by its usual name.
    "IQ-KI": N_("Kirkuk"),
    # Translators: a governorate of Iraq (or the Kurdistan Region), by its usual name.
    "IQ-MA": N_("Maysan"),
    # Translators: a governorate of Iraq (or the Kurdistan Region), by its usual name.
    "IQ-MU": N_("Muthanna"),
    # Translators: a governorate of Iraq (or the Kurdistan Region), by its usual name.
    "IQ-NA": N_("Najaf"),
    # Translators: a governorate of Iraq (or the Kurdistan Region), by its usual name.
    "IQ-NI": N_("Nineveh"),
    # Translators: a governorate of Iraq (or the Kurdistan Region), by its usual name.
    "IQ-QA": N_("Al-Qadisiyah"),
    # Translators: a governorate of Iraq (or the Kurdistan Region), by its usual name.
    "IQ-SD": N_("Salah al-Din"),
    # Translators: a governorate of Iraq (or the Kurdistan Region), by its usual name.
    "IQ-SU": N_("Sulaymaniyah"),
    # Translators: a governorate of Iraq (or the Kurdistan Region), by its usual name.
    "IQ-WA": N_("Wasit"),
    # Translators: a governorate of Iraq (or the Kurdistan Region), by its usual name.
    "IQ-HA": N_("Halabja"),
    # Translators: a governorate of Iraq (or the Kurdistan Region), by its usual name.
    "IQ-KR": N_("Kurdistan Region"),
}
# The report's status as the server names it (GET /api/v1/reports/status/).
STATUSES = {
    # Translators: a report's status: it arrived and waits to be read.
    "received": N_("received, waiting to be read"),
    # Translators: a report's status: a caseworker is working on it.
    "in_review": N_("being worked on"),
    # Translators: a report's status: the case is closed.
    "closed": N_("closed"),
}


def _table(heading: str, rows: dict[str, str]) -> list[str]:
    width = max(len(code) for code in rows)
    return [heading] + [f"  {code:<{width}}  {_(text)}" for code, text in rows.items()]


def submit_epilog() -> str:
    """The words behind the codes of submit, in the client's language."""
    return "\n".join(
        _table(_("Categories for --category:"), CATEGORIES)
        + [""]
        + _table(_("Flags for --flag, one --flag for each that applies:"), FLAGS)
        + [""]
        + governorate_help().splitlines()
    )


def governorate_help() -> str:
    lines = [_("Governorate codes for --governorate (ISO 3166-2:IQ):")]
    lines += [f"  {code}  {_(name)}" for code, name in GOVERNORATES.items()]
    # Translators: two lines of submit --help; keep the line break where it suits your language.
    lines += _(
        "Reporters outside Iraq give the two-letter code of the country they are in,\n"
        "for example TR (Turkey), JO (Jordan) or DE (Germany)."
    ).splitlines()
    return "\n".join(lines)


def governorate(text: str) -> str:
    """An argparse type: a code from GOVERNORATES or a two-letter country code, in capitals."""
    code = text.strip().upper()
    if code in GOVERNORATES or (len(code) == 2 and code.isascii() and code.isalpha()):
        return code
    raise argparse.ArgumentTypeError(
        # Translators: code is what was typed; keep IQ-BG and TR as they are.
        _f(
            "{code} is not a place code this client knows: give a governorate code from submit --help "
            "(IQ-BG for Baghdad, for example) or, when abroad, a two-letter country code (TR for Turkey, for example).",
            code=text.strip()[:20],
        )
    )


def _passphrase(args, *, confirm: bool = False) -> str:
    if args.passphrase_file:
        return Path(args.passphrase_file).read_text(encoding="utf-8").rstrip("\r\n")
    # Translators: a prompt; what is typed after it is not shown. Keep the space at the end.
    phrase = getpass.getpass(_("Vault passphrase: "))
    # Translators: a prompt for the same passphrase a second time. Keep the space at the end.
    if confirm and getpass.getpass(_("Again: ")) != phrase:
        raise SystemExit(_("The two passphrases differ, so nothing was sent."))
    return phrase


def _secrets(args) -> tuple[str, str | None]:
    """The receipt (canonical, or MalformedReceipt before anything else happens) and the reply key."""
    if args.vault:
        stored = vault.load(Path(args.vault), _passphrase(args))
        return receipt_canonical(stored["receipt"]), stored.get("reply_key")
    # Translators: a prompt; what is typed after it is not shown. Keep the space at the end.
    receipt = receipt_canonical(getpass.getpass(_("Receipt: ")))
    # Translators: a prompt; what is typed after it is not shown. Keep the space at the end.
    reply_key = getpass.getpass(_("Reply key (Enter to skip): ")).strip() or None
    return receipt, reply_key


def _narrative(args) -> str:
    if args.narrative_file:
        return Path(args.narrative_file).read_text(encoding="utf-8")
    print(_("Write what happened; end with Ctrl-D."), file=sys.stderr)
    return sys.stdin.read()


def cmd_submit(args) -> None:
    indicators = [{"type": "phone", "value": v} for v in args.phone] + [
        {"type": "telegram", "value": v} for v in args.telegram
    ]
    triage = Triage(
        category=args.category,
        governorate=args.governorate,
        incident_month=args.month,
        # A caseworker who reads the reporter's language is chosen by this: the client's own language
        # (a Sorani reader's client asks for a Sorani reader), Arabic when the client speaks English.
        language=args.language or (language() if language() != "en" else "ar"),
        immediate_danger=args.danger,
        needs_relocation=args.relocation,
        flags=args.flag,
        indicators=indicators,
    )
    contact = (
        # Translators: a prompt for a phone number, Signal number or email address. Keep the space at the end.
        {"method": args.contact_method, "value": getpass.getpass(_("Contact (not echoed): "))}
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
            print(
                # Translators: path is the vault file named by --save.
                _f(
                    "The vault could not be saved to {path}: write down the receipt and reply key below now.",
                    path=args.save,
                ),
                file=sys.stderr,
            )
    if saved:
        # A phone may be searched: the reply key stays in the encrypted vault only. The receipt is
        # shown once so it can be written down, for when the vault is lost.
        # Translators: path is the vault file named by --save.
        print(_f("Receipt and reply key saved, encrypted, to {path}.", path=args.save))
        print(_receipt_line(result.receipt))
        print(_("Write the receipt down and keep it secret: it lets you follow up or withdraw even without the vault."))
    else:
        print(_receipt_line(result.receipt))
        # Translators: reply_key is a line of letters and digits, shown once.
        print(_f("Reply key: {reply_key}", reply_key=result.reply_key))
        print(_("Keep both secret: the receipt lets you follow up or withdraw; the reply key reads answers."))


def _receipt_line(receipt: str) -> str:
    # Translators: receipt is 20 digits in groups of four, shown once.
    return _f("Receipt: {receipt}", receipt=receipt)


def cmd_status(args) -> None:
    receipt, reply_key = _secrets(args)
    status = SanadClient(args.server).status(receipt, reply_key)
    shown = _(STATUSES[status.status]) if status.status in STATUSES else status.status
    # Translators: status is a report's status (see "received"); updated the day, as 2026-11-21.
    print(_f("Status: {status} (updated {updated})", status=shown, updated=status.updated))
    for reply in status.replies:
        # Translators: the heading of a caseworker's reply, then the reply on the next lines; sent_at is when it was sent.
        print(_f("--- reply {sent_at}\n{body}", sent_at=reply.get("sent_at", ""), body=reply.get("body", "")))


def cmd_followup(args) -> None:
    receipt = _secrets(args)[0]
    SanadClient(args.server).follow_up(receipt, _narrative(args))
    print(_("Follow-up sent."))


def cmd_evidence(args) -> None:
    receipt = _secrets(args)[0]
    path = Path(args.file)
    data = path.read_bytes()
    # Judged by content, not by name: photos saved from messengers often have no extension or .bin.
    try:
        data, media_type = strip_metadata(data)
        print(_("Photo metadata (EXIF, GPS, camera) removed."))
    except ValueError:
        if not args.allow_unstripped:
            raise SystemExit(
                _(
                    "This client can clean only JPEG, PNG and WebP photos. Videos, PDFs and documents can hold a "
                    "location, a device or an author: pass --allow-unstripped to send this file as it is."
                )
            ) from None
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    # The original file name can identify a phone or a moment; send a neutral one unless asked.
    suffix = mimetypes.guess_extension(media_type) or ""
    filename = path.name if args.keep_filename else f"evidence{suffix}"
    SanadClient(args.server).add_evidence(receipt, data=data, filename=filename, media_type=media_type)
    print(_("Evidence sent."))


def cmd_withdraw(args) -> None:
    receipt = _secrets(args)[0]
    SanadClient(args.server).withdraw(receipt)
    print(_("Report withdrawn: its content is deleted and the receipt no longer works."))


def _narrative_file_help() -> str:
    return _("Read what happened from this file (UTF-8 text) instead of typing it.")


def build_parser() -> argparse.ArgumentParser:
    """The command line, its help in the client's language (built when called, not at import)."""
    parser = argparse.ArgumentParser(
        prog="python -m client", description=_("Report a threat to Sanad, encrypted on this device.")
    )
    # Translators: the help of --server; keep the address as it is.
    parser.add_argument("--server", required=True, help=_("e.g. https://sanad.example.org"))
    sub = parser.add_subparsers(dest="command", required=True)

    submit = sub.add_parser(
        "submit",
        help=_("Submit a new report."),
        description=_("Submit a new report, encrypted on this device."),
        epilog=submit_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    submit.add_argument(
        "--category",
        required=True,
        choices=list(CATEGORIES),
        metavar="CODE",
        help=_("What happened, as one of the category codes listed below (e.g. phone_threat)."),
    )
    submit.add_argument(
        "--governorate",
        required=True,
        type=governorate,
        metavar="CODE",
        help=_(
            "Where you are: a governorate code listed below (e.g. IQ-BG), or a country code such as TR when abroad."
        ),
    )
    # Translators: the help of --month; keep YYYY-MM (a year and a month, such as 2026-11).
    submit.add_argument("--month", required=True, help=_("YYYY-MM of the incident"))
    submit.add_argument(
        "--language",
        choices=["ar", "ckb", "en"],
        # Translators: keep the codes ar, ckb and en as they are.
        help=_(
            "The language you write in and would like answers in: ar (Arabic), ckb (Sorani Kurdish) or "
            "en (English). Without it, the language this client speaks, or Arabic if that is English."
        ),
    )
    submit.add_argument("--danger", action="store_true", help=_("I am in immediate danger."))
    submit.add_argument("--relocation", action="store_true", help=_("I need to relocate."))
    submit.add_argument(
        "--flag",
        action="append",
        default=[],
        choices=list(FLAGS),
        metavar="CODE",
        help=_("Something more that happened, as one of the flag codes listed below (e.g. death_threat); repeatable."),
    )
    submit.add_argument("--phone", action="append", default=[], help=_("A number that threatened you."))
    submit.add_argument("--telegram", action="append", default=[], help=_("A channel or user that named you."))
    submit.add_argument(
        "--contact-method",
        choices=["signal", "phone", "email"],
        # Translators: keep the codes signal, phone and email as they are.
        help=_(
            "How a caseworker may reach you: signal, phone or email. The number or address is then asked for, "
            "not echoed."
        ),
    )
    submit.add_argument("--narrative-file", metavar="FILE", help=_narrative_file_help())
    submit.add_argument(
        "--save",
        help=_("Vault file to keep the receipt and reply key in, encrypted. The reply key is then not shown."),
    )
    submit.set_defaults(func=cmd_submit)

    for name, func, text in (
        ("status", cmd_status, _("Status and replies.")),
        ("followup", cmd_followup, _("Add to your report.")),
        ("evidence", cmd_evidence, _("Send a file (photos are cleaned first).")),
        ("withdraw", cmd_withdraw, _("Withdraw and delete your report.")),
    ):
        command = sub.add_parser(name, help=text, description=text)
        command.add_argument(
            "--vault",
            help=_(
                "The vault file written by submit --save (without it, you are asked for the receipt and reply key)."
            ),
        )
        command.set_defaults(func=func)
        if name == "followup":
            command.add_argument("--narrative-file", metavar="FILE", help=_narrative_file_help())
        if name == "evidence":
            command.add_argument("file", help=_("The photo or file to send."))
            command.add_argument(
                "--keep-filename",
                action="store_true",
                help=_(
                    "Send the file under its original name instead of a neutral one such as evidence.jpg. "
                    "Careful: a name like IMG_20261121_093012.jpg can identify your phone or the moment you took it."
                ),
            )
            command.add_argument(
                "--allow-unstripped",
                action="store_true",
                help=_(
                    "Send a file this client cannot clean (video, PDF, document) as it is, with whatever "
                    "location, device or author it holds."
                ),
            )
    for command in sub.choices.values():
        command.add_argument("--passphrase-file", help=_("Read the vault passphrase from this file (automation)."))
    return parser


def _file_problem(exc: OSError) -> str:
    if exc.filename is None:
        return _("A file could not be read or written.")
    name = os.fsdecode(exc.filename)
    if isinstance(exc, FileNotFoundError):
        # Translators: name is a file's path.
        return _f("The file {name} does not exist.", name=name)
    if isinstance(exc, PermissionError):
        # Translators: name is a file's path.
        return _f("This client is not allowed to open the file {name}.", name=name)
    if isinstance(exc, IsADirectoryError):
        # Translators: name is a file's path.
        return _f("{name} is a folder, not a file.", name=name)
    # Translators: name is a file's path.
    return _f("The file {name} could not be read or written.", name=name)


def main(argv: list[str] | None = None) -> int:
    i18n.install()  # argparse's own texts in the client's language too
    args = build_parser().parse_args(argv)
    # Every message below is one plain sentence: no traceback, no raw error, and never a
    # receipt, a reply key or what the reporter wrote.
    try:
        args.func(args)
    except ClientError as exc:  # the server refused, or could not be reached
        print(str(exc), file=sys.stderr)
        return 1
    except UnicodeDecodeError:
        print(_("A file could not be read as text: save it as UTF-8 and try again."), file=sys.stderr)
        return 1
    except (vault.VaultError, ValueError) as exc:  # this client's own, already plain sentences
        print(str(exc), file=sys.stderr)
        return 1
    except OSError as exc:
        print(_file_problem(exc), file=sys.stderr)
        return 1
    except (KeyboardInterrupt, EOFError):
        print(_("Stopped."), file=sys.stderr)
        return 130
    return 0
