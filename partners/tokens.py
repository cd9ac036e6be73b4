"""Partner API tokens: shown once when issued, stored only as a keyed hash.

A token is "sanad_pt_" and 43 base64url characters (256 random bits). The server keeps HMAC-SHA256
of it under SANAD_RECEIPT_KEY with its own domain prefix (a database copy cannot test a guess without
the key), and the first 12 characters so staff can tell tokens apart. A wrong, malformed, expired or
revoked token gets the same refusal after the same work. Use is counted (how many, the last day),
never logged with a client address: none reaches a view (backend.middleware). A revocation takes
effect at once in the process that made it, and within LIVE_SECONDS (5 s) in every other.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from audit.actions import Action
from audit.services import audit_record
from partners.models import Partner, PartnerToken

PREFIX = "sanad_pt_"
_DOMAIN = b"sanad/partner-token/v1\x00"
_SHAPE = re.compile(r"\Asanad_pt_[A-Za-z0-9_-]{43}\Z")
SHOWN = 12


def _digest(token: str) -> bytes:
    return hmac.new(settings.SANAD_RECEIPT_KEY, _DOMAIN + token.encode("ascii"), hashlib.sha256).digest()


def token_issue(*, partner: Partner, actor=None, days: int | None = None) -> tuple[PartnerToken, str]:
    """A new token for `partner`: (its row, the token itself, to be shown once and never again)."""
    token = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():  # no token without its audit entry
        row = PartnerToken.objects.create(
            partner=partner,
            digest=_digest(token),
            prefix=token[:SHOWN],
            expires_at=timezone.now() + timedelta(days=days or settings.SANAD_PARTNER_TOKEN_DAYS),
        )
        audit_record(
            Action.PARTNER_TOKEN_ISSUED,
            actor=actor,
            obj_type="partner_token",
            obj_id=str(row.pk),
            details={"partner_id": str(partner.pk), "expires": row.expires_at.date().isoformat()},
        )
    return row, token


def token_revoke(*, token: PartnerToken, actor=None) -> bool:
    """Revoke `token` (False if it already was)."""
    with transaction.atomic():  # no revocation without its audit entry
        if not PartnerToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
            return False
        audit_record(
            Action.PARTNER_TOKEN_REVOKED,
            actor=actor,
            obj_type="partner_token",
            obj_id=str(token.pk),
            details={"partner_id": str(token.partner_id)},
        )
    forget_live_tokens()
    return True


# A live token found is remembered by this process for a few seconds (a partner's script fetching
# several files asks the database once), and its uses are added up here and written at most every few
# seconds: one row every request would update is a lock every request would queue on. A revocation is
# seen at once in the process that made it and within LIVE_SECONDS in the others.
LIVE_SECONDS = 5.0
_live: dict[bytes, tuple[float, PartnerToken]] = {}
_uses: Counter = Counter()
_flushed = [0.0]
_lock = threading.Lock()


def forget_live_tokens() -> None:
    with _lock:
        _live.clear()


def forget_process_state() -> None:
    """Forget the live tokens and the uses not yet written (a test starts without them)."""
    with _lock:
        _live.clear()
        _uses.clear()
        _flushed[0] = 0.0


def _count_use(row: PartnerToken) -> None:
    with _lock:
        _uses[row.pk] += 1
        if time.monotonic() - _flushed[0] < LIVE_SECONDS:
            return
        pending, _flushed[0] = dict(_uses), time.monotonic()
        _uses.clear()
    uses_flush(pending)


def uses_flush(pending: dict | None = None) -> None:
    """Write the uses counted in this process (all of them when called without `pending`)."""
    if pending is None:
        with _lock:
            pending = dict(_uses)
            _uses.clear()
    today = timezone.localdate()
    for pk, count in pending.items():
        PartnerToken.objects.filter(pk=pk).update(uses=F("uses") + count, last_used_on=today)


def token_authenticate(text: str) -> PartnerToken | None:
    """The live token `text` is, counting its use; None for anything else, after the same work."""
    well_formed = isinstance(text, str) and bool(_SHAPE.match(text))
    digest = _digest(text if well_formed else PREFIX + "A" * 43)
    now = timezone.now()
    remembered = _live.get(digest)
    if remembered and time.monotonic() - remembered[0] < LIVE_SECONDS and remembered[1].expires_at > now:
        row = remembered[1]
    else:
        row = (
            PartnerToken.objects.select_related("partner")
            .filter(digest=digest, revoked_at__isnull=True, expires_at__gt=now)
            .first()
        )
        if row is not None and well_formed:
            _live[digest] = (time.monotonic(), row)
    if row is None or not well_formed:
        return None
    _count_use(row)
    return row
