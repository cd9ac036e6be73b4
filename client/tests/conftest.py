"""The command line makes gettext's default domain the client's (client.i18n.install): put it back
after each client test, so that the rest of the session's argparse texts are as before."""

import gettext

import pytest


@pytest.fixture(autouse=True)
def _gettext_default_domain():
    domain = gettext.textdomain()
    yield
    gettext.textdomain(domain)
