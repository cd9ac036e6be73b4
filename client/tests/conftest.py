"""The command line makes gettext's default domain the client's (client.i18n.install): put it back
after each client test, so that the rest of the session's argparse texts are as before."""

import gettext
import threading
from http.server import ThreadingHTTPServer

import pytest


@pytest.fixture(autouse=True)
def _gettext_default_domain():
    domain = gettext.textdomain()
    yield
    gettext.textdomain(domain)


@pytest.fixture
def fake():
    """A fake Sanad server on a free local port (client.tests.test_client_cli.FakeServer)."""
    from client.tests.test_client_cli import FakeServer

    state = FakeServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), state.handler())
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield state
    httpd.shutdown()
    httpd.server_close()
