"""The closed list of things the audit chain records.

An action outside this registry is refused, so a typo or an ad-hoc string can
never slip into the chain and an auditor's filter on `action` sees everything
of a kind. Add a member here (and nowhere else) before recording something new.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    # Sign-in and session
    LOGIN_FAILED = "login_failed", _("Login failed")
    LOGIN_LOCKED_OUT = "login_locked_out", _("Login locked out")
    LOGIN_SUCCEEDED = "login_succeeded", _("Login succeeded")
    # Translators: an event in the audit trail (a noun): a staff member logged out.
    LOGOUT = "logout", _("Logout")
    TOTP_ENROLLED = "totp_enrolled", _("Two-factor device enrolled")
    # Reading sealed content
    REPORT_DECRYPTED = "report_decrypted", _("Report decrypted")
    EVIDENCE_DECRYPTED = "evidence_decrypted", _("Evidence decrypted")
    # Casework
    REPORT_ASSIGNED = "report_assigned", _("Report assigned")
    REPORT_CLAIMED = "report_claimed", _("Report claimed")
    REPORT_REASSIGNED = "report_reassigned", _("Report reassigned")
    REPORT_TRANSITION = "report_transition", _("Report status changed")
    REPORT_ACKNOWLEDGED = "report_acknowledged", _("Report acknowledged")
    REPORT_CLOSED = "report_closed", _("Report closed")
    REPLY_SENT = "reply_sent", _("Reply sent")
    LINK_CONFIRMED = "link_confirmed", _("Candidate link confirmed")
    LINK_REJECTED = "link_rejected", _("Candidate link rejected")
    # Keys
    KEY_CREATED = "key_created", _("Shared key created")
    KEY_RETIRED = "key_retired", _("Shared key retired")
    KEY_GRANTED = "key_granted", _("Shared key granted")
    # Translators: an event in the audit trail: someone typed a wrong password when granting a key.
    KEY_GRANT_FAILED = "key_grant_failed", _("Key grant refused: wrong password")
    # Staff
    STAFF_CREATED = "staff_created", _("Staff created")
    STAFF_ROLES_CHANGED = "staff_roles_changed", _("Staff roles changed")
    STAFF_DEACTIVATED = "staff_deactivated", _("Staff deactivated")
    STAFF_PASSWORD_RESET = "staff_password_reset", _("Staff password reset")
    STAFF_PASSWORD_CHANGED = "staff_password_changed", _("Staff password changed")
    # Translators: an event in the audit trail: someone typed a wrong current password when changing theirs.
    PASSWORD_CHANGE_FAILED = "password_change_failed", _("Password change refused: wrong password")
    COVERAGE_CHANGED = "coverage_changed", _("Caseworker coverage changed")
    # Decrypting roles: proposed by one member of staff, approved by a key holder (two people)
    ROLE_PROPOSED = "role_proposed", _("Role proposed")
    ROLE_APPROVED = "role_approved", _("Role approved")
    # Translators: an event in the audit trail: someone typed a wrong password when approving a role.
    ROLE_APPROVAL_FAILED = "role_approval_failed", _("Role approval refused: wrong password")
    # Translators: an event in the audit trail: the first holder of a kind of key was given their role
    # on the server's command line, since nobody held such a key to approve it.
    ROLE_BOOTSTRAPPED = "role_bootstrapped", _("Role given on the server (first holder)")
    ROLE_PROPOSAL_CANCELLED = "role_proposal_cancelled", _("Role proposal cancelled")
    ROLE_PROPOSAL_REJECTED = "role_proposal_rejected", _("Role proposal rejected")
    ROLE_PROPOSAL_EXPIRED = "role_proposal_expired", _("Role proposal expired")
    # Relocation
    SAFEHOUSE_CREATED = "safehouse_created", _("Safe house created")
    SAFEHOUSE_CHANGED = "safehouse_changed", _("Safe house changed")
    SAFEHOUSE_ADDRESS_READ = "safehouse_address_read", _("Safe house address decrypted")
    REFERRAL_CREATED = "referral_created", _("Referred for relocation")
    REFERRAL_NEEDS_READ = "referral_needs_read", _("Referral needs decrypted")
    PLACEMENT_HELD = "placement_held", _("Bed held")
    PLACEMENT_PLACED = "placement_placed", _("Placed in a safe house")
    PLACEMENT_DEPARTED = "placement_departed", _("Left the safe house")
    PLACEMENT_CANCELLED = "placement_cancelled", _("Hold cancelled")
    PLACEMENT_EXPIRED = "placement_expired", _("Hold expired")
    # Translators: an event in the audit trail: old closed and withdrawn reports were deleted for good.
    REPORTS_PURGED = "reports_purged", _("Reports deleted by retention")
    # Statistics for partners
    STATS_RELEASE_BUILT = "stats_release_built", _("Statistics release published")
    PARTNER_TOKEN_ISSUED = "partner_token_issued", _("Partner token issued")
    PARTNER_TOKEN_REVOKED = "partner_token_revoked", _("Partner token revoked")
    # The chain itself
    AUDIT_VERIFIED = "audit_verified", _("Audit chain verified")
