"""What other apps hear from reports, so that reports never imports them."""

from django.dispatch import Signal

# Sent inside report_withdraw's transaction, the report's row locked, before its content is gone:
# `report`. A receiver deletes what it holds about the report's people (relocation does).
report_withdrawn = Signal()

# Sent inside triage's transaction, the report's row locked, once it is triaged: `report`. Statistics
# count it (partners), once, however often triage runs.
report_triaged = Signal()
