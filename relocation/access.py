"""Who may do what in relocation, asked here only.

Coordinators keep the houses and offer beds; nobody else sees a house, a referral or a placement in
relocation's pages (a caseworker sees their own referrals' status and regional bands on the report's
page: relocation.selectors). PLACEMENT_ACTIONS is the one list of what may be done to a referral or a
placement and in which state, as reports.access.CASE_ACTIONS is for reports: the pages offer exactly
what actions_for gives, and every service calls require() on the locked rows; a test holds the two
together for every state.

Whether a house may take a referral's people is house_refusal, asked by the hold service on the locked
rows and by the page that lists the houses a coordinator may hold beds in.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import ngettext

from accounts.models import KeyGrant, StaffUser
from accounts.roles import KeyPurpose, Role, active_roles, has_role, roles_conflict
from relocation.models import Placement, Referral, SafeHouse
from relocation.vocabulary import HouseStatus, PlacementState, ReferralState, regions_ruled_out

# A report may be referred, and beds held for it, while it is being worked on.
REFERRING_STATES = frozenset({"assigned", "acknowledged", "in_progress"})


class RelocationError(Exception):
    """A relocation request that cannot be carried out; the message is safe to show."""


def is_coordinator(user: StaffUser) -> bool:
    """A relocation coordinator who holds a grant of a relocation key: the role alone, which a sysadmin
    gives, is not enough to see a house or move a bed. A grant comes only from a coordinator who holds
    the key and types their password, as for intake keys."""
    if not has_role(user, Role.RELOCATION_COORDINATOR) or roles_conflict(active_roles(user)):
        return False  # an account made before roles were kept apart: it reads neither
    return KeyGrant.objects.filter(holder=user, shared_key__purpose=KeyPurpose.RELOCATION).exists()


def require_coordinator(user: StaffUser) -> None:
    if not is_coordinator(user):
        raise RelocationError(_("Only a relocation coordinator holding the relocation key may do this."))


class PlacementAction(models.TextChoices):
    HOLD = "hold", _l("Hold beds")
    PLACE = "place", _l("Record the arrival")
    DEPART = "depart", _l("Record the departure")
    CANCEL = "cancel", _l("Cancel the hold")


@dataclass(frozen=True)
class Rule:
    on: type[models.Model]  # a Referral (hold) or a Placement (the others)
    states: frozenset[str]


PLACEMENT_ACTIONS: dict[str, Rule] = {
    PlacementAction.HOLD: Rule(Referral, frozenset({ReferralState.WAITING})),
    PlacementAction.PLACE: Rule(Placement, frozenset({PlacementState.HELD})),
    PlacementAction.DEPART: Rule(Placement, frozenset({PlacementState.PLACED})),
    PlacementAction.CANCEL: Rule(Placement, frozenset({PlacementState.HELD})),
}


def refusal(user: StaffUser, obj: Referral | Placement, action: str, *, coordinator: bool | None = None) -> str | None:
    """Why `user` may not do `action` to `obj` (a referral for a hold, a placement otherwise), or None.
    `coordinator`: is_coordinator(user), when the caller knows it already (a page asks for many objects)."""
    rule = PLACEMENT_ACTIONS[action]
    if not (is_coordinator(user) if coordinator is None else coordinator):
        return _("Only a relocation coordinator holding the relocation key may do this.")
    if not isinstance(obj, rule.on):
        raise TypeError(f"{action} acts on a {rule.on.__name__}")
    if isinstance(obj, Referral):
        if obj.state not in rule.states:
            return _("This referral is not waiting for a bed any more.")
        if obj.report.state not in REFERRING_STATES:
            return _("The report is no longer being worked on: no bed is held for it.")
        return None
    if obj.state not in rule.states:
        return _("This placement's status is now “%(state)s”: nothing was changed.") % {
            "state": obj.get_state_display()
        }
    if action == PlacementAction.PLACE and obj.held_until <= timezone.now():
        return _("This hold has expired; its beds are free again. Hold them anew if they are still free.")
    return None


def actions_for(user: StaffUser, obj: Referral | Placement, *, coordinator: bool | None = None) -> frozenset[str]:
    """Every action `user` may do to `obj` now: what its page offers (`coordinator` as for refusal)."""
    coordinator = is_coordinator(user) if coordinator is None else coordinator
    return frozenset(
        action
        for action, rule in PLACEMENT_ACTIONS.items()
        if isinstance(obj, rule.on) and refusal(user, obj, action, coordinator=coordinator) is None
    )


def require(user: StaffUser, obj: Referral | Placement, action: str) -> None:
    """RelocationError unless `user` may do `action` to `obj` now (call on the rows locked for the change)."""
    reason = refusal(user, obj, action)
    if reason is not None:
        raise RelocationError(reason)


def house_refusal(house: SafeHouse, *, details: dict, threat_place: str) -> str | None:
    """Why `house` may not take the people a referral describes (its sealed `details`), or None."""
    if house.status != HouseStatus.OPEN:
        return _("This house takes no one new now.")
    if details.get("household_type") not in house.household_types:
        return _("This house does not take this household type.")
    if house.region in details.get("avoid_regions", ()) or house.region in regions_ruled_out(threat_place):
        return _("This house is in a region the person must not be sent to.")
    beds = details.get("adults", 0) + details.get("children", 0)
    if house.beds_free < beds:
        return ngettext(
            "The referral needs %(needed)d beds; this house has %(count)d bed free.",
            "The referral needs %(needed)d beds; this house has %(count)d beds free.",
            house.beds_free,
        ) % {"needed": beds, "count": house.beds_free}
    return None
