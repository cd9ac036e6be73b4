"""What staff do in relocation: coordinators keep houses and offer beds; caseworkers refer.

Every change of a house's occupancy locks the rows it touches in one order, referral then house then
placement, re-reads them locked and checks again, and writes the counts, the states, the day's
occupancy and the audit entry in one transaction. The database's own constraint
(safehouse_never_overbooked) refuses anything that would overbook, should a path ever forget the lock.
"""

from __future__ import annotations

import hashlib
import json
import logging
import unicodedata
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import SharedKey, StaffUser
from accounts.roles import KeyPurpose
from accounts.selectors import shared_keys_usable
from accounts.services import AccountError, SharedKeyOpener
from audit.actions import Action
from audit.services import audit_record
from backend.crypto import hpke
from backend.crypto.errors import CryptoError
from backend.sealed_fields import open_value, seal_value
from relocation import access
from relocation.access import PlacementAction, RelocationError, house_refusal, require_coordinator
from relocation.models import OccupancyDay, Placement, Referral, SafeHouse, SafeHouseSecret
from relocation.signals import placement_placed
from relocation.vocabulary import (
    URGENCY_FROM_SEVERITY,
    CancelReason,
    HouseholdType,
    HouseStatus,
    PlacementState,
    ReferralState,
    Region,
    Urgency,
    UrgencyReason,
    regions_ruled_out,
)

MAX_PEOPLE = 30  # adults, and children, in one referral: more is a typing mistake
MAX_BEDS = 500  # in one house
MAX_TEXT = 2000  # characters of an address, contact, access notes or needs
PAD_TO = 512  # encrypted texts are padded to a multiple of this many bytes: their length tells little
logger = logging.getLogger(__name__)


# --- The relocation key ----------------------------------------------------------------------


def relocation_key() -> SharedKey:
    """The newest relocation key that may be used: attested, active, and held by enough coordinators
    that one forgotten password cannot make every address unreadable (SANAD_INTAKE_MIN_HOLDERS)."""
    usable = shared_keys_usable(KeyPurpose.RELOCATION)
    if usable:
        return usable[0]
    raise RelocationError(
        ngettext(
            "No relocation key is ready: one needs at least %(count)d coordinator holding it.",
            "No relocation key is ready: one needs at least %(count)d coordinators holding it.",
            settings.SANAD_INTAKE_MIN_HOLDERS,
        )
        % {"count": settings.SANAD_INTAKE_MIN_HOLDERS}
    )


def house_info(key: SharedKey, house_id) -> bytes:
    """Binds a house's address ciphertext to its key and to the house: it cannot be moved to another row."""
    return b"sanad/v1/safehouse:" + key.key_id.encode("ascii") + b"\x00" + str(house_id).encode("ascii")


def needs_info(key: SharedKey, referral_id) -> bytes:
    return b"sanad/v1/referral-needs:" + key.key_id.encode("ascii") + b"\x00" + str(referral_id).encode("ascii")


def _encrypt(key: SharedKey, value: dict, info: bytes) -> bytes:
    """`value` as JSON padded with spaces to a multiple of PAD_TO bytes, HPKE-encrypted to `key`."""
    plain = json.dumps(value, ensure_ascii=False).encode("utf-8")
    plain += b" " * (-len(plain) % PAD_TO)
    public = hpke.load_public_key(hpke.Suite.parse(key.suite), bytes(key.public_key))
    return hpke.encrypt(public, plain, info=info)


def _attestation(ciphertext: bytes, key: SharedKey, row_id) -> bytes:
    """What Sanad seals beside a ciphertext it wrote: its hash, bound to the key and the row."""
    return hashlib.sha256(bytes(ciphertext)).digest() + key.key_id.encode("ascii") + str(row_id).encode("ascii")


def _text(value, *, what: str, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str):
        raise RelocationError(_("%(what)s must be text.") % {"what": what})
    text = value
    if len(text) > limit:
        raise RelocationError(
            # Translators: what is a field's name, such as "Address" or "Needs".
            _("%(what)s is at most %(limit)d characters long.") % {"what": what, "limit": limit}
        )
    try:
        text.encode("utf-8")  # a lone surrogate, which JSON can carry, is not text
    except UnicodeEncodeError:
        text = "\x00"
    if "\x00" in text:
        raise RelocationError(_("%(what)s holds a character that is not allowed.") % {"what": what})
    return text.strip()


def _count(value, *, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RelocationError(
            # Translators: what is a field's name, such as "adults" or "beds in service".
            _("%(what)s must be a whole number from %(low)d to %(high)d.") % {"what": what, "low": low, "high": high}
        )
    return value


def _choices(values, allowed, *, what: str) -> list[str]:
    if not isinstance(values, list | tuple) or any(not isinstance(v, str) or v not in allowed for v in values):
        raise RelocationError(_("%(what)s holds an unknown value.") % {"what": what})
    return sorted(set(values))


# --- Houses ----------------------------------------------------------------------------------


def _opened(instance, field: str) -> bytes | None:
    """A sealed value, or None if it does not open for this row (copied from another row, or forged)."""
    try:
        return open_value(instance, field)
    except CryptoError:
        return None


def _record_day(house: SafeHouse) -> None:
    """The house's beds as they stand now, as today's row (the last change of a day stays)."""
    OccupancyDay.objects.update_or_create(
        house=house,
        day=timezone.localdate(),
        defaults={
            "beds_in_service": house.beds_in_service,
            "beds_held": house.beds_held,
            "beds_occupied": house.beds_occupied,
        },
    )


def house_create(
    *,
    user: StaffUser,
    code_name: str,
    region: str,
    household_types,
    beds_funded: int,
    beds_in_service: int,
    address: str,
    contact: str = "",
    access_notes: str = "",
) -> SafeHouse:
    """A new house; its address, contact and access notes are encrypted to the relocation key."""
    require_coordinator(user)
    # One spelling per name: "OLIVE" and "ｏｌｉｖｅ" are "olive" already taken; and no invisible or
    # combining character, which would make a name look like another's.
    if isinstance(code_name, str):
        code_name = unicodedata.normalize("NFKC", code_name)
    code_name = _text(code_name, what=_("Code name"), limit=40)
    if any(unicodedata.category(char)[0] in "CM" for char in code_name):
        raise RelocationError(_("A code name holds only letters, digits, spaces and punctuation."))
    if not code_name:
        raise RelocationError(_("Give the house a code name (never its address)."))
    if region not in Region.values:
        raise RelocationError(_("Unknown region."))
    types = _choices(household_types, HouseholdType.values, what=_("Household types"))
    if not types:
        raise RelocationError(_("Choose at least one household type the house takes."))
    funded = _count(beds_funded, low=0, high=MAX_BEDS, what=_("Beds funded"))
    in_service = _count(beds_in_service, low=0, high=MAX_BEDS, what=_("Beds in service"))
    secret = {
        "address": _text(address, what=_("Address")),
        "contact": _text(contact, what=_("Contact")),
        "access_notes": _text(access_notes, what=_("Access notes")),
    }
    if not secret["address"]:
        raise RelocationError(_("Give the house's address: only coordinators holding the relocation key can read it."))
    key = relocation_key()
    try:
        with transaction.atomic():
            house = SafeHouse.objects.create(
                code_name=code_name,
                region=region,
                household_types=types,
                beds_funded=funded,
                beds_in_service=in_service,
            )
            ciphertext = _encrypt(key, secret, house_info(key, house.pk))
            record = SafeHouseSecret(house=house, relocation_key=key, ciphertext=ciphertext)
            record.attestation_sealed = seal_value(
                record, "attestation_sealed", _attestation(ciphertext, key, house.pk)
            )
            record.save()
            _record_day(house)
            audit_record(
                Action.SAFEHOUSE_CREATED,
                actor=user,
                obj_type="safe_house",
                obj_id=str(house.pk),
                details={"beds_in_service": in_service},
            )
    except IntegrityError:
        raise RelocationError(_("Another house has this code name.")) from None
    return house


def house_address_open(*, user: StaffUser, house: SafeHouse, personal_key: hpke.PrivateKey | None) -> dict:
    """The house's address, contact and access notes, decrypted for a coordinator; on the audit chain."""
    require_coordinator(user)
    secret = SafeHouseSecret.objects.select_related("relocation_key").get(house=house)
    if _opened(secret, "attestation_sealed") != _attestation(secret.ciphertext, secret.relocation_key, house.pk):
        logger.error("safe house %s: its address row was not written by Sanad; not shown", str(house.pk)[:8])
        raise RelocationError(
            _("This address was not written by Sanad: it is not shown. Tell the system administrators.")
        )
    try:
        private = SharedKeyOpener(user=user, personal_key=personal_key).open(secret.relocation_key)
        plain = hpke.decrypt(private, bytes(secret.ciphertext), info=house_info(secret.relocation_key, house.pk))
    except AccountError as exc:
        raise RelocationError(str(exc)) from None
    except CryptoError:
        raise RelocationError(_("This address does not open with its relocation key.")) from None
    audit_record(Action.SAFEHOUSE_ADDRESS_READ, actor=user, obj_type="safe_house", obj_id=str(house.pk))
    return json.loads(plain)


def house_change(
    *, user: StaffUser, house: SafeHouse, beds_funded: int, beds_in_service: int, status: str
) -> SafeHouse:
    """New capacity or status. Fewer beds in service than are held or occupied is refused: say which first."""
    require_coordinator(user)
    funded = _count(beds_funded, low=0, high=MAX_BEDS, what=_("Beds funded"))
    in_service = _count(beds_in_service, low=0, high=MAX_BEDS, what=_("Beds in service"))
    if status not in HouseStatus.values:
        raise RelocationError(_("Unknown status."))
    with transaction.atomic():
        locked = SafeHouse.objects.select_for_update().get(pk=house.pk)
        used = locked.beds_held + locked.beds_occupied
        if status == HouseStatus.CLOSED and locked.beds_held:
            raise RelocationError(
                ngettext(
                    "%(count)d bed is held in this house: cancel that hold before closing it.",
                    "%(count)d beds are held in this house: cancel those holds before closing it.",
                    locked.beds_held,
                )
                % {"count": locked.beds_held}
            )
        if in_service < used:
            raise RelocationError(
                ngettext(
                    "%(count)d bed of this house is held or occupied: it cannot have fewer beds in service. "
                    "End those placements first.",
                    "%(count)d beds of this house are held or occupied: it cannot have fewer beds in service. "
                    "End those placements first.",
                    used,
                )
                % {"count": used}
            )
        locked.beds_funded, locked.beds_in_service, locked.status = funded, in_service, status
        locked.save(update_fields=["beds_funded", "beds_in_service", "status"])
        _record_day(locked)
        audit_record(
            Action.SAFEHOUSE_CHANGED,
            actor=user,
            obj_type="safe_house",
            obj_id=str(locked.pk),
            details={"beds_in_service": in_service, "status": status},
        )
    return locked


# --- Referrals ---------------------------------------------------------------------------------


def referral_details(referral: Referral) -> dict:
    """A referral's sealed details (adults, children, household_type, urgency_reason, preferred_regions,
    avoid_regions, needs_sha256); empty once its report was withdrawn."""
    sealed = _opened(referral, "details_sealed")
    return json.loads(sealed) if sealed else {}


def referral_create(
    *,
    user: StaffUser,
    report,
    adults: int,
    children: int = 0,
    household_type: str,
    urgency_reason: str = "",
    preferred_regions=(),
    avoid_regions=(),
    needs: str = "",
) -> Referral:
    """The assigned caseworker (or a lead) asks for safe beds for a report's people.

    Urgency comes from the report's severity; a reason raises it one step. The region the threat came
    from is never a destination. What describes the people is sealed; the needs, free text, are
    encrypted to the relocation key."""
    from reports import access as case_access  # reports' modules import this app's models: not at the top

    adults = _count(adults, low=1, high=MAX_PEOPLE, what=_("Adults"))
    children = _count(children, low=0, high=MAX_PEOPLE, what=_("Children"))
    if household_type not in HouseholdType.values:
        raise RelocationError(_("Unknown household type."))
    if not isinstance(urgency_reason, str) or (urgency_reason and urgency_reason not in UrgencyReason.values):
        raise RelocationError(_("Unknown reason for more urgency."))
    preferred = _choices(preferred_regions, Region.values, what=_("Preferred regions"))
    avoid = _choices(avoid_regions, Region.values, what=_("Regions to avoid"))
    needs = _text(needs, what=_("Needs"))
    key = relocation_key()
    with transaction.atomic():
        locked = type(report).objects.select_for_update().get(pk=report.pk)
        try:
            case_access.require(user, locked, case_access.CaseAction.REFER)
        except case_access.CaseworkError as exc:
            raise RelocationError(str(exc)) from None
        ruled_out = regions_ruled_out(locked.governorate)
        if set(preferred) & ruled_out:
            raise RelocationError(
                _(
                    "One of the preferred regions is where the threat came from: a person is never sent to "
                    "the region of the threat."
                )
            )
        avoid = sorted(set(avoid) | ruled_out)
        people = adults + children
        # More people than any house not closed has beds for is a mistake to say at once. Only that is
        # checked here: a check by region or household type would tell a caseworker the size of a house.
        largest = SafeHouse.objects.exclude(status=HouseStatus.CLOSED).aggregate(most=Max("beds_in_service"))["most"]
        if people > (largest or 0):
            raise RelocationError(
                ngettext(
                    "No safe house has beds for %(count)d person.",
                    "No safe house has beds for %(count)d people.",
                    people,
                )
                % {"count": people}
            )
        urgency = URGENCY_FROM_SEVERITY.get(locked.severity, Urgency.LOW)
        if urgency_reason:
            urgency = max(Urgency.IMMEDIATE, urgency - 1)
        referral = Referral(report=locked, referred_by=user, urgency=urgency, relocation_key=key)
        if needs:
            referral.needs_ciphertext = _encrypt(key, {"needs": needs}, needs_info(key, referral.pk))
        details = {
            "adults": adults,
            "children": children,
            "household_type": household_type,
            "urgency_reason": urgency_reason,
            "preferred_regions": preferred,
            "avoid_regions": avoid,
            "needs_sha256": hashlib.sha256(referral.needs_ciphertext).hexdigest() if needs else None,
        }
        referral.details_sealed = seal_value(referral, "details_sealed", json.dumps(details).encode())
        try:
            with transaction.atomic():
                referral.save()
        except IntegrityError:
            raise RelocationError(_("This report has an open referral already.")) from None
        audit_record(
            Action.REFERRAL_CREATED,
            actor=user,
            obj_type="report",
            obj_id=str(locked.pk),
            details={"referral": str(referral.pk), "urgency": int(urgency)},
        )
    return referral


def referral_needs_open(*, user: StaffUser, referral: Referral, personal_key: hpke.PrivateKey | None) -> str:
    """A referral's needs, decrypted for a coordinator; on the audit chain. Needs whose ciphertext Sanad did
    not write (its hash is sealed in the details) are refused, never shown."""
    require_coordinator(user)
    if referral.needs_ciphertext is None:
        return ""
    expected = referral_details(referral).get("needs_sha256")
    if expected != hashlib.sha256(bytes(referral.needs_ciphertext)).hexdigest():
        logger.error("referral %s: its needs were not written by Sanad; not shown", str(referral.pk)[:8])
        raise RelocationError(
            _("These needs were not written by Sanad: they are not shown. Tell the system administrators.")
        )
    try:
        private = SharedKeyOpener(user=user, personal_key=personal_key).open(referral.relocation_key)
        plain = hpke.decrypt(
            private, bytes(referral.needs_ciphertext), info=needs_info(referral.relocation_key, referral.pk)
        )
    except AccountError as exc:
        raise RelocationError(str(exc)) from None
    except CryptoError:
        raise RelocationError(_("These needs do not open with their relocation key.")) from None
    audit_record(Action.REFERRAL_NEEDS_READ, actor=user, obj_type="referral", obj_id=str(referral.pk))
    return json.loads(plain)["needs"]


def report_withdrawn(report) -> None:
    """The reporter withdrew `report` (call inside report_withdraw's transaction, its row locked): held beds
    are freed, waiting referrals close, and nothing said about the people is kept: details and needs go,
    times are cut to the day. A person already placed stays placed until a coordinator records them leaving."""
    for referral_id in Referral.objects.filter(report=report).values_list("pk", flat=True):
        referral = Referral.objects.select_for_update().get(pk=referral_id)
        for placement in Placement.objects.filter(referral=referral, state=PlacementState.HELD):
            house = SafeHouse.objects.select_for_update().get(pk=placement.house_id)
            locked = Placement.objects.select_for_update().get(pk=placement.pk)
            if locked.state == PlacementState.HELD:
                _move_beds(house, held=-locked.beds)
                _set(locked, PlacementState.CANCELLED, cancel_reason=CancelReason.NO_LONGER_NEEDED)
        placed = Placement.objects.filter(referral=referral, state=PlacementState.PLACED).exists()
        day = referral.created_at.replace(hour=0, minute=0, second=0, microsecond=0)
        Referral.objects.filter(pk=referral.pk).update(
            state=ReferralState.PLACED if placed else ReferralState.CLOSED,
            details_sealed=None,
            needs_ciphertext=None,
            created_at=day,
        )


# --- Placements ------------------------------------------------------------------------------


def _lock(referral_id, house_id, placement_id=None):
    """Lock in the one order every path uses: (report, when withdrawing,) referral, house, placement."""
    referral = Referral.objects.select_for_update().get(pk=referral_id)
    house = SafeHouse.objects.select_for_update().get(pk=house_id)
    placement = Placement.objects.select_for_update().get(pk=placement_id) if placement_id else None
    return referral, house, placement


def _move_beds(house: SafeHouse, *, held: int = 0, occupied: int = 0) -> None:
    SafeHouse.objects.filter(pk=house.pk).update(
        beds_held=F("beds_held") + held, beds_occupied=F("beds_occupied") + occupied
    )
    house.refresh_from_db(fields=["beds_held", "beds_occupied", "beds_in_service"])
    _record_day(house)


def placement_hold(*, user: StaffUser, referral: Referral, house: SafeHouse) -> Placement:
    """Hold beds in `house` for a waiting referral, for SANAD_RELOCATION_HOLD_HOURS."""
    require_coordinator(user)
    now = timezone.now()
    with transaction.atomic():
        referral, house, _placement = _lock(referral.pk, house.pk)
        access.require(user, referral, PlacementAction.HOLD)
        details = referral_details(referral)
        reason = house_refusal(house, details=details, threat_place=referral.report.governorate)
        if reason is not None:
            raise RelocationError(reason)
        beds = details["adults"] + details["children"]
        _move_beds(house, held=beds)
        placement = Placement.objects.create(
            referral=referral,
            house=house,
            beds=beds,
            held_until=now + timedelta(hours=settings.SANAD_RELOCATION_HOLD_HOURS),
            created_by=user,
            created_at=now,
            updated_at=now,
        )
        Referral.objects.filter(pk=referral.pk).update(state=ReferralState.HELD)
        # Which house is the placement's own row (redacted with it); the chain names only the placement.
        audit_record(
            Action.PLACEMENT_HELD,
            actor=user,
            obj_type="placement",
            obj_id=str(placement.pk),
            details={"beds": beds},
        )
    return placement


def _live(user: StaffUser, placement: Placement, action: str):
    """The placement's rows locked, once `user` may do `action` to it (relocation.access)."""
    referral, house, locked = _lock(placement.referral_id, placement.house_id, placement.pk)
    access.require(user, locked, action)
    return referral, house, locked


def _set(locked: Placement, state: str, **fields) -> None:
    Placement.objects.filter(pk=locked.pk).update(state=state, updated_at=timezone.now(), **fields)


def placement_place(*, user: StaffUser, placement: Placement) -> None:
    """The person arrived: held beds become occupied."""
    with transaction.atomic():
        referral, house, locked = _live(user, placement, PlacementAction.PLACE)
        if house.status == HouseStatus.CLOSED:
            raise RelocationError(_("This house is closed: no one is placed in it."))
        _move_beds(house, held=-locked.beds, occupied=locked.beds)
        _set(locked, PlacementState.PLACED)
        Referral.objects.filter(pk=referral.pk).update(state=ReferralState.PLACED)
        audit_record(Action.PLACEMENT_PLACED, actor=user, obj_type="placement", obj_id=str(locked.pk))
        placement_placed.send(
            sender=Placement, report_id=referral.report_id, region=house.region, when=locked.created_at
        )


def placement_depart(*, user: StaffUser, placement: Placement) -> None:
    """The person left the house: their beds are free; the referral is done."""
    with transaction.atomic():
        referral, house, locked = _live(user, placement, PlacementAction.DEPART)
        _move_beds(house, occupied=-locked.beds)
        _set(locked, PlacementState.DEPARTED)
        Referral.objects.filter(pk=referral.pk).update(state=ReferralState.CLOSED)
        audit_record(Action.PLACEMENT_DEPARTED, actor=user, obj_type="placement", obj_id=str(locked.pk))


def placement_cancel(*, user: StaffUser, placement: Placement, reason: str) -> None:
    """A held bed not taken: declined by the person or the house (the referral waits again), or no
    longer needed (the referral closes)."""
    require_coordinator(user)
    if reason not in CancelReason.values:
        raise RelocationError(_("Choose why the hold is cancelled."))
    with transaction.atomic():
        referral, house, locked = _live(user, placement, PlacementAction.CANCEL)
        _move_beds(house, held=-locked.beds)
        _set(locked, PlacementState.CANCELLED, cancel_reason=reason)
        after = ReferralState.CLOSED if reason == CancelReason.NO_LONGER_NEEDED else ReferralState.WAITING
        Referral.objects.filter(pk=referral.pk).update(state=after)
        audit_record(
            Action.PLACEMENT_CANCELLED,
            actor=user,
            obj_type="placement",
            obj_id=str(locked.pk),
            details={"reason": reason},
        )


def holds_expire(*, now=None, limit: int = 500) -> int:
    """Expire holds past their time, oldest first, each in its own transaction (a worker that dies loses
    none and frees none twice: each is re-read locked and expired only while still held). One that
    cannot be expired is logged and skipped: it must not keep the others held. The number expired."""
    now = now or timezone.now()
    expired = 0
    due = (
        Placement.objects.filter(state=PlacementState.HELD, held_until__lte=now)
        .order_by("held_until")
        .values_list("pk", "referral_id", "house_id")[:limit]
    )
    for pk, referral_id, house_id in due:
        try:
            with transaction.atomic():
                referral, house, locked = _lock(referral_id, house_id, pk)
                if locked.state != PlacementState.HELD or locked.held_until > now:
                    continue  # placed, cancelled or expired meanwhile
                _move_beds(house, held=-locked.beds)
                _set(locked, PlacementState.EXPIRED)
                Referral.objects.filter(pk=referral.pk, state=ReferralState.HELD).update(state=ReferralState.WAITING)
                audit_record(Action.PLACEMENT_EXPIRED, obj_type="placement", obj_id=str(locked.pk))
                expired += 1
        except Exception as exc:  # noqa: BLE001 - one broken row must not hold every other bed
            logger.error("placement %s could not be expired: %s", str(pk)[:8], type(exc).__name__)
    return expired
