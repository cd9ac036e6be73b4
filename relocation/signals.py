"""What other apps hear from relocation, so that relocation never imports them."""

from django.dispatch import Signal

# Sent inside placement_place's transaction, the rows locked, when a person arrives in a safe house:
# `report_id` (the referral's report), `region` (the house's) and `when` (the bed was offered: the
# placement's own time, which a later departure does not move). Statistics count it (partners).
placement_placed = Signal()
