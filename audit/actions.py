"""The closed list of things the audit chain records.

An action outside this registry is refused, so a typo or an ad-hoc string can
never slip into the chain and an auditor's filter on `action` sees everything
of a kind. Add a member here (and nowhere else) before recording something new.
"""

from django.db import models


class Action(models.TextChoices):
    # Sign-in and session
    LOGIN_FAILED = "login_failed", "Login failed"
    LOGIN_LOCKED_OUT = "login_locked_out", "Login locked out"
    LOGIN_SUCCEEDED = "login_succeeded", "Login succeeded"
    LOGOUT = "logout", "Logout"
    TOTP_ENROLLED = "totp_enrolled", "Two-factor device enrolled"
    # Reading sealed content
    REPORT_DECRYPTED = "report_decrypted", "Report decrypted"
    EVIDENCE_DECRYPTED = "evidence_decrypted", "Evidence decrypted"
    # Casework
    REPORT_ASSIGNED = "report_assigned", "Report assigned"
    REPORT_CLAIMED = "report_claimed", "Report claimed"
    REPORT_REASSIGNED = "report_reassigned", "Report reassigned"
    REPORT_TRANSITION = "report_transition", "Report status changed"
    REPORT_ACKNOWLEDGED = "report_acknowledged", "Report acknowledged"
    REPORT_CLOSED = "report_closed", "Report closed"
    REPLY_SENT = "reply_sent", "Reply sent"
    LINK_CONFIRMED = "link_confirmed", "Candidate link confirmed"
    LINK_REJECTED = "link_rejected", "Candidate link rejected"
    # Keys
    KEY_CREATED = "key_created", "Shared key created"
    KEY_RETIRED = "key_retired", "Shared key retired"
    KEY_GRANTED = "key_granted", "Shared key granted"
    # Staff
    STAFF_CREATED = "staff_created", "Staff created"
    STAFF_ROLES_CHANGED = "staff_roles_changed", "Staff roles changed"
    STAFF_DEACTIVATED = "staff_deactivated", "Staff deactivated"
    STAFF_PASSWORD_RESET = "staff_password_reset", "Staff password reset"
    STAFF_PASSWORD_CHANGED = "staff_password_changed", "Staff password changed"
    COVERAGE_CHANGED = "coverage_changed", "Caseworker coverage changed"
    # The chain itself
    AUDIT_VERIFIED = "audit_verified", "Audit chain verified"
