"""What the browser tests share: looking at a page as a reader on a phone would, and logging staff in."""

from __future__ import annotations

import os
import re
from pathlib import Path

from tests.conftest import PASSWORD, enrol, totp_code_for

PHONE = {"width": 390, "height": 844}
DIRECTION = {"ar": "rtl", "ckb": "rtl", "en": "ltr"}
# Latin-script words that may show on an Arabic or Sorani page: data, not strings of ours.
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")
# Names the reporter's page writes as their makers do: a browser setting, a file type, the form of a
# Telegram account, a hash.
PROPER_NAMES = ("JavaScript", "PDF", "@channel", "t.me", "SHA-256")


def shot(page, name: str) -> None:
    folder = os.environ.get("SANAD_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def check_page(page, language: str, *, data: tuple[str, ...] = ()) -> None:
    """lang and dir are the browser's language; at 390 px nothing scrolls sideways; an Arabic or Sorani
    page shows no English of ours (Latin-script words are allowed only in `data`: usernames, references;
    in elements marked with another language, such as the switcher's "English"; and in what reporters
    wrote: the narrative and the values set apart in <bdi>)."""
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == (language, DIRECTION[language]), page.url
    sideways = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert sideways[0] <= sideways[1], f"{page.url} is {sideways[0]} px wide on a {sideways[1]}-px screen"
    wide = page.evaluate(
        """(limit) => [...document.querySelectorAll('body *')].filter(e => {
             const r = e.getBoundingClientRect();
             return r.width > 0 && (r.right > limit + 1 || r.left < -1) && getComputedStyle(e).position !== 'fixed';
           }).map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 5)""",
        PHONE["width"],
    )
    assert not wide, f"{page.url}: elements past the screen's edge: {wide}"
    if language == "en":
        return
    text = page.evaluate(
        """() => {
             const clone = document.body.cloneNode(true);
             clone.querySelectorAll('[lang]:not([lang="' + document.documentElement.lang + '"]), script, style, '
                                    + 'bdi, .sanad-narrative, [translate="no"], noscript')
                  .forEach(e => e.remove());
             return clone.innerText + ' ' + [...document.querySelectorAll('[title],[placeholder],[aria-label]')]
                  .filter(e => !e.closest('[lang]:not([lang="' + document.documentElement.lang + '"])'))
                  .map(e => [e.title, e.placeholder || '', e.getAttribute('aria-label') || ''].join(' ')).join(' ');
           }"""
    )
    for value in (*data, *PROPER_NAMES):
        text = text.replace(value, " ")
    english = sorted(set(LATIN_WORD.findall(text)))
    assert not english, f"{page.url} in {language} shows English: {english}"


def log_in(page, live_server, user, password=PASSWORD) -> None:
    device = enrol(user)
    page.goto(f"{live_server.url}/admin/")
    page.wait_for_selector("#login-form")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.fill("#id_otp_token", totp_code_for(device))
    page.click("#login-form [type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
