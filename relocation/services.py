"""What staff do in relocation: coordinators keep houses and offer beds; caseworkers refer.

Every change of a house's occupancy locks the rows it touches in one order, referral then house then
placement, re-reads them locked and checks again, and writes the counts, the states, the day's
occupancy and the audit entry in one transaction. The database's own constraint
(safehouse_never_overbooked) refuses anything that would overbook, should a path ever forget the lock.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import SharedKey, StaffUser
from accounts.roles import KeyPurpose, Role, has_role
from accounts.services import AccountError, SharedKeyOpener, shared_key_attested, usable_holders
from audit.actions import Action
from audit.services import audit_record
from backend.crypto import hpke
from backend.crypto.errors import CryptoError
from relocation.models import OccupancyDay, Placement, Referral, SafeHouse, SafeHouseSecret
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
REFERRING_STATES = frozenset({"assigned", "acknowledged", "in_progress"})


class RelocationError(Exception):
    """A relocation request that cannot be carried out; the message is safe to show."""


# --- Who -------------------------------------------------------------------------------


def is_coordinator(user: StaffUser) -> bool:
    return has_role(user, Role.RELOCATION_COORDINATOR)


def _require_coordinator(user: StaffUser) -> None:
    if not is_coordinator(user):
        raise RelocationError(_("Only a relocation coordinator may do this."))


# --- The relocation key ----------------------------------------------------------------------


def relocation_key() -> SharedKey:
    """The newest relocation key that may be used: attested, active, and held by enough coordinators
    that one forgotten password cannot make every address unreadable (SANAD_INTAKE_MIN_HOLDERS)."""
    for key in SharedKey.objects.filter(purpose=KeyPurpose.RELOCATION, active=True).order_by("-created_at"):
        if shared_key_attested(key) and usable_holders(key) >= settings.SANAD_INTAKE_MIN_HOLDERS:
            return key
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
    public = hpke.load_public_key(hpke.Suite.parse(key.suite), bytes(key.public_key))
    return hpke.encrypt(public, json.dumps(value, ensure_ascii=False).encode("utf-8"), info=info)


def _text(value, limit: int = MAX_TEXT) -> str:
    text = value if isinstance(value, str) else ""
    if len(text) > limit or "\x00" in text:
        raise RelocationError(_("A text is at most %(limit)d characters.") % {"limit": limit})
    return text.strip()


def _count(value, *, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RelocationError(
            # Translators: what is a field's name, such as "adults" or "beds in service".
            _("%(what)s must be a whole number from %(low)d to %(high)d.") % {"what": what, "low": low, "high": high}
        )
    return value


def _choices(values, allowed, *, what: str) -> list[str]:
    if not isinstance(values, list | tuple) or any(value not in allowed for value in values):
        raise RelocationError(_("%(what)s holds an unknown value.") % {"what": what})
    return sorted(set(values))


# --- Houses ----------------------------------------------------------------------------------


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
    _require_coordinator(user)
    code_name = _text(code_name, 40)
    if not code_name:
        raise RelocationError(_("Give the house a code name (never its address)."))
    if region not in Region.values:
        raise RelocationError(_("Unknown region."))
    types = _choices(household_types, HouseholdType.values, what=_("Household types"))
    if not types:
        raise RelocationError(_("Choose at least one household type the house takes."))
    funded = _count(beds_funded, low=0, high=MAX_BEDS, what=_("Beds funded"))
    in_service = _count(beds_in_service, low=0, high=MAX_BEDS, what=_("Beds in service"))
    secret = {"address": _text(address), "contact": _text(contact), "access_notes": _text(access_notes)}
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
            SafeHouseSecret.objects.create(
                house=house, relocation_key=key, ciphertext=_encrypt(key, secret, house_info(key, house.pk))
            )
            _record_day(house)
            audit_record(
                Action.SAFEHOUSE_CREATED,
                actor=user,
                obj_type="safe_house",
                obj_id=str(house.pk),
                details={"region": region, "beds_in_service": in_service},
            )
    except IntegrityError:
        raise RelocationError(_("Another house has this code name.")) from None
    return house


def house_address_open(*, user: StaffUser, house: SafeHouse, personal_key: hpke.PrivateKey | None) -> dict:
    """The house's address, contact and access notes, decrypted for a coordinator; on the audit chain."""
    _require_coordinator(user)
    secret = SafeHouseSecret.objects.select_related("relocation_key").get(house=house)
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
    _require_coordinator(user)
    funded = _count(beds_funded, low=0, high=MAX_BEDS, what=_("Beds funded"))
    in_service = _count(beds_in_service, low=0, high=MAX_BEDS, what=_("Beds in service"))
    if status not in HouseStatus.values:
        raise RelocationError(_("Unknown status."))
    with transaction.atomic():
        locked = SafeHouse.objects.select_for_update().get(pk=house.pk)
        used = locked.beds_held + locked.beds_occupied
        if in_service < used:
            raise RelocationError(
                _(
                    "%(held)d beds are held and %(occupied)d occupied: the house cannot have fewer than %(used)d "
                    "beds in service. End those placements first."
                )
                % {"held": locked.beds_held, "occupied": locked.beds_occupied, "used": used}
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
    from is never a destination. The needs, free text, are encrypted to the relocation key."""
    from reports import access  # reports imports relocation's models; keep this import out of the module's top

    adults = _count(adults, low=1, high=MAX_PEOPLE, what=_("Adults"))
    children = _count(children, low=0, high=MAX_PEOPLE, what=_("Children"))
    if household_type not in HouseholdType.values:
        raise RelocationError(_("Unknown household type."))
    if urgency_reason and urgency_reason not in UrgencyReason.values:
        raise RelocationError(_("Unknown reason for more urgency."))
    preferred = _choices(list(preferred_regions), Region.values, what=_("Preferred regions"))
    avoid = _choices(list(avoid_regions), Region.values, what=_("Regions to avoid"))
    needs = _text(needs)
    key = relocation_key()
    with transaction.atomic():
        locked = type(report).objects.select_for_update().get(pk=report.pk)
        if not (access.is_lead(user) or (access.is_caseworker(user) and locked.assigned_to_id == user.pk)):
            raise RelocationError(_("Only the report's caseworker or a triage lead refers it for relocation."))
        if locked.state not in REFERRING_STATES:
            raise RelocationError(_("Only a report in work can be referred for relocation."))
        ruled_out = regions_ruled_out(locked.governorate)
        if set(preferred) & ruled_out:
            raise RelocationError(_("The threat came from there: a person is never sent to the region of the threat."))
        avoid = sorted(set(avoid) | ruled_out)
        people = adults + children
        largest = max(
            (
                house.beds_in_service
                for house in SafeHouse.objects.exclude(status=HouseStatus.CLOSED).only(
                    "beds_in_service", "household_types"
                )
                if household_type in house.household_types
            ),
            default=0,
        )
        if not largest or people > largest:
            raise RelocationError(
                ngettext(
                    "No safe house takes %(count)d person of this household type.",
                    "No safe house takes %(count)d people of this household type.",
                    people,
                )
                % {"count": people}
            )
        urgency = URGENCY_FROM_SEVERITY.get(locked.severity, Urgency.LOW)
        if urgency_reason:
            urgency = max(Urgency.IMMEDIATE, urgency - 1)
        referral = Referral(
            report=locked,
            referred_by=user,
            adults=adults,
            children=children,
            household_type=household_type,
            urgency=urgency,
            urgency_reason=urgency_reason,
            preferred_regions=preferred,
            avoid_regions=avoid,
            relocation_key=key,
        )
        if needs:
            referral.needs_ciphertext = _encrypt(key, {"needs": needs}, needs_info(key, referral.pk))
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
    """A referral's needs, decrypted for a coordinator; on the audit chain."""
    _require_coordinator(user)
    if referral.needs_ciphertext is None:
        return ""
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


# --- Placements ------------------------------------------------------------------------------


def _lock(referral_id, house_id, placement_id=None):
    """Lock in the one order every path uses: referral, house, placement."""
    referral = Referral.objects.select_for_update().select_related("report").get(pk=referral_id)
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
    _require_coordinator(user)
    now = timezone.now()
    with transaction.atomic():
        referral, house, _placement = _lock(referral.pk, house.pk)
        if referral.state != ReferralState.WAITING:
            raise RelocationError(_("This referral is not waiting for a bed any more."))
        if house.status != HouseStatus.OPEN:
            raise RelocationError(_("This house takes no one new now."))
        if referral.household_type not in house.household_types:
            raise RelocationError(_("This house does not take this household type."))
        if house.region in referral.avoid_regions or house.region in regions_ruled_out(referral.report.governorate):
            raise RelocationError(_("This house is in a region the person must not be sent to."))
        beds = referral.party_size
        if house.beds_free < beds:
            raise RelocationError(
                ngettext(
                    "Only %(count)d bed is free in this house.",
                    "Only %(count)d beds are free in this house.",
                    house.beds_free,
                )
                % {"count": house.beds_free}
            )
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
        audit_record(
            Action.PLACEMENT_HELD,
            actor=user,
            obj_type="placement",
            obj_id=str(placement.pk),
            details={"referral": str(referral.pk), "house": str(house.pk), "beds": beds},
        )
    return placement


def _live(placement: Placement, state: str):
    """The placement's rows locked, once it is in `state` (and, if held, not yet expired)."""
    referral, house, locked = _lock(placement.referral_id, placement.house_id, placement.pk)
    if locked.state != state:
        raise RelocationError(
            _("This placement is %(state)s now; nothing was changed.") % {"state": locked.get_state_display()}
        )
    if state == PlacementState.HELD and locked.held_until <= timezone.now():
        raise RelocationError(_("This hold has expired; its beds are free again. Hold them anew if they still are."))
    return referral, house, locked


def _set(locked: Placement, state: str, **fields) -> None:
    Placement.objects.filter(pk=locked.pk).update(state=state, updated_at=timezone.now(), **fields)


def placement_place(*, user: StaffUser, placement: Placement) -> None:
    """The person arrived: held beds become occupied."""
    _require_coordinator(user)
    with transaction.atomic():
        referral, house, locked = _live(placement, PlacementState.HELD)
        _move_beds(house, held=-locked.beds, occupied=locked.beds)
        _set(locked, PlacementState.PLACED)
        Referral.objects.filter(pk=referral.pk).update(state=ReferralState.PLACED)
        audit_record(Action.PLACEMENT_PLACED, actor=user, obj_type="placement", obj_id=str(locked.pk))


def placement_depart(*, user: StaffUser, placement: Placement) -> None:
    """The person left the house: their beds are free; the referral is done."""
    _require_coordinator(user)
    with transaction.atomic():
        referral, house, locked = _live(placement, PlacementState.PLACED)
        _move_beds(house, occupied=-locked.beds)
        _set(locked, PlacementState.DEPARTED)
        Referral.objects.filter(pk=referral.pk).update(state=ReferralState.CLOSED)
        audit_record(Action.PLACEMENT_DEPARTED, actor=user, obj_type="placement", obj_id=str(locked.pk))


def placement_cancel(*, user: StaffUser, placement: Placement, reason: str) -> None:
    """A held bed not taken: declined by the person or the house (the referral waits again), or no
    longer needed (the referral closes)."""
    _require_coordinator(user)
    if reason not in CancelReason.values:
        raise RelocationError(_("Choose why the hold is cancelled."))
    with transaction.atomic():
        referral, house, locked = _lock(placement.referral_id, placement.house_id, placement.pk)
        if locked.state != PlacementState.HELD:
            raise RelocationError(
                _("This placement is %(state)s now; nothing was changed.") % {"state": locked.get_state_display()}
            )
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
    """Expire holds past their time, each in its own transaction (a worker that dies loses none and
    frees none twice: each is re-read locked and expired only while still held); the number expired."""
    now = now or timezone.now()
    expired = 0
    due = Placement.objects.filter(state=PlacementState.HELD, held_until__lte=now).values_list(
        "pk", "referral_id", "house_id"
    )[:limit]
    for pk, referral_id, house_id in due:
        with transaction.atomic():
            referral, house, locked = _lock(referral_id, house_id, pk)
            if locked.state != PlacementState.HELD or locked.held_until > now:
                continue  # placed, cancelled or expired meanwhile
            _move_beds(house, held=-locked.beds)
            _set(locked, PlacementState.EXPIRED)
            Referral.objects.filter(pk=referral.pk, state=ReferralState.HELD).update(state=ReferralState.WAITING)
            audit_record(Action.PLACEMENT_EXPIRED, obj_type="placement", obj_id=str(locked.pk))
            expired += 1
    return expired
