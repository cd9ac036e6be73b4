"""The client's language: Arabic, Sorani Kurdish or English, chosen by the environment as gettext does.

The standard gettext variables LANGUAGE, LC_ALL, LC_MESSAGES and LANG are read in that order
(LANGUAGE may list several, as in ckb:ar), and the first language with a catalog in
client/locale wins; anything else (C, POSIX, de_DE, nothing set) is English, the language the
messages are written in. Only the standard library is used at run time: the catalogs are
compiled beforehand (python -m client.i18n_build, which needs Babel).

`_` and `ngettext` translate the client's own sentences and work without `install()`, so
library users (client.api) get them too. argparse's own texts ("usage: ", "options", its error
sentences) go through gettext.gettext in the process's default domain: `install()`, called
once by the command line at start-up, makes that domain ours, whose catalogs carry
argparse's sentences too (ARGPARSE below). `language()` is the chosen code, which the client
sends as Accept-Language so that the server's refusals come back in the same language.
"""

from __future__ import annotations

import gettext
from pathlib import Path

DOMAIN = "sanad_client"
LOCALEDIR = Path(__file__).resolve().parent / "locale"
# English is the source language; its catalog is empty, and there so that LANGUAGE=en:ar means English.
LANGUAGES = ("ar", "ckb", "en")


def N_(message: str, plural: str | None = None) -> str:
    """Marks a message for extraction only; it is translated where it is shown, with `_`."""
    return message


def _translation() -> gettext.NullTranslations:
    # Looked up on every call (gettext caches the parsed catalogs): the environment decides.
    return gettext.translation(DOMAIN, str(LOCALEDIR), fallback=True)


def _(message: str) -> str:
    return _translation().gettext(message)


def _f(message: str, /, **values) -> str:
    """`message` translated and filled in with `values`. If the translation cannot be filled in, or
    would leave one of the values out (a receipt or a reply key must reach the reader whatever a
    catalog says), the English sentence instead."""
    try:
        text = _(message).format(**values)
    except (KeyError, IndexError, ValueError, AttributeError):
        return message.format(**values)
    if any(str(value) not in text for value in values.values()):
        return message.format(**values)
    return text


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation().ngettext(singular, plural, n)


def language() -> str:
    """The code of the language the client speaks now: "ar", "ckb" or "en"."""
    found = gettext.find(DOMAIN, str(LOCALEDIR))
    code = Path(found).parent.parent.name if found else "en"
    return code if code in LANGUAGES else "en"


def install() -> None:
    """Make argparse speak the client's language too (it uses gettext's default domain)."""
    gettext.bindtextdomain(DOMAIN, str(LOCALEDIR))
    gettext.textdomain(DOMAIN)


# argparse's own sentences, as Python 3.11's argparse.py passes them to gettext (a test compares
# this list with the argparse of the Python that runs it). Listed so extraction puts them in our
# catalogs; argparse itself looks them up. They keep argparse's %-placeholders, which must stay.
ARGPARSE = (
    # Translators: the heading before the command's synopsis, in --help and before errors. Keep the space at the end.
    N_("usage: "),
    # Translators: a heading in --help, above the options such as --server.
    N_("options"),
    # Translators: a heading in --help, above the arguments given without a dash, such as the command.
    N_("positional arguments"),
    # Translators: a heading in --help, above the commands (submit, status, ...), when they are grouped.
    N_("subcommands"),
    # Translators: the help of -h/--help.
    N_("show this help message and exit"),
    # Translators: the line printed before a command-line error and exit: prog is the command, message the error.
    N_("%(prog)s: error: %(message)s\n"),
    # Translators: an error about one option; argument_name is the option, such as --category.
    N_("argument %(argument_name)s: %(message)s"),
    # Translators: %s is a list of options, such as --category, --month.
    N_("the following arguments are required: %s"),
    # Translators: %s is what was typed and not understood.
    N_("unrecognized arguments: %s"),
    # Translators: value is what was typed, choices the codes accepted (kept as codes).
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    # Translators: type is a kind of value (such as int), value what was typed.
    N_("invalid %(type)s value: %(value)r"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("expected %s argument", "expected %s arguments"),
    # Translators: option is what was typed, matches the options it could be short for.
    N_("ambiguous option: %(option)s could match %(matches)s"),
    # Translators: parser_name is the command typed, choices the commands there are.
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    N_("not allowed with argument %s"),
    N_("one of the arguments %s is required"),
    N_("ignored explicit argument %r"),
    N_("unexpected option string: %s"),
    # Translators: filename is a file named on the command line, error why it could not be opened.
    N_("can't open '%(filename)s': %(error)s"),
    # Translators: only a mistake in the client's own code shows this: translate it last.
    N_('argument "-" with mode %r'),
    # Translators: only a mistake in the client's own code shows this: translate it last.
    N_(".__call__() not defined"),
    # Translators: only a mistake in the client's own code shows this: translate it last.
    N_("conflicting subparser: %s"),
    # Translators: only a mistake in the client's own code shows this: translate it last.
    N_("conflicting subparser alias: %s"),
    # Translators: only a mistake in the client's own code shows this: translate it last.
    N_("cannot merge actions - two groups are named %r"),
    # Translators: only a mistake in the client's own code shows this: translate it last.
    N_("'required' is an invalid argument for positionals"),
    # Translators: only a mistake in the client's own code shows this: translate it last.
    N_("invalid option string %(option)r: must start with a character %(prefix_chars)r"),
    # Translators: only a mistake in the client's own code shows this: translate it last.
    N_("dest= is required for options like %r"),
    # Translators: only a mistake in the client's own code shows this: translate it last.
    N_("invalid conflict_resolution value: %r"),
    # Translators: only a mistake in the client's own code shows this: translate it last.
    N_("conflicting option string: %s", "conflicting option strings: %s"),
    # Translators: only a mistake in the client's own code shows this: translate it last.
    N_("mutually exclusive arguments must be optional"),
    # Translators: only a mistake in the client's own code shows this: translate it last.
    N_("cannot have multiple subparser arguments"),
    # Translators: only a mistake in the client's own code shows this: translate it last.
    N_("%r is not callable"),
)
