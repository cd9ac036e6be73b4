"""Partners, their tokens, the roll-up of coarse counts, and the releases built from it with their
privacy spend.

The roll-up (StatsCount) is what statistics are computed from, never the reports table: it is written
when a report is triaged and when a placement is made, and kept when reports are purged, so a release
computed after a purge is computed from the same counts. Releases are immutable once built: the same
bytes for every partner on every fetch. Every spend of privacy budget is a LedgerEntry written in the
release's own transaction; the ledger, not any in-memory accountant, is the source of truth.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Partner(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("identifier"))
    name = models.CharField(max_length=120, unique=True, verbose_name=_("name"))
    # How to reach the partner's contact person: sealed, as staff contacts are.
    contact_sealed = models.BinaryField(null=True, blank=True, editable=False, verbose_name=_("contact (sealed)"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created"))

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PartnerToken(models.Model):
    """An API token: shown once, stored only as a keyed hash (partners.tokens)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("identifier"))
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="tokens", verbose_name=_("partner"))
    digest = models.BinaryField(unique=True, editable=False, verbose_name=_("keyed hash"))
    # The first characters, so staff can tell tokens apart; far too few to guess the rest from.
    prefix = models.CharField(max_length=16, editable=False, verbose_name=_("begins with"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("issued"))
    expires_at = models.DateTimeField(verbose_name=_("expires"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked"))
    # Counted, never logged with an address: the day of the last use, and how many uses.
    uses = models.PositiveBigIntegerField(default=0, editable=False, verbose_name=_("uses"))
    last_used_on = models.DateField(null=True, blank=True, editable=False, verbose_name=_("last used"))

    class Meta:
        verbose_name = _("partner token")
        verbose_name_plural = _("partner tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}…"


class StatsKind(models.TextChoices):
    # Never shown to anyone (the roll-up has no page): names for code, not for readers.
    REPORT_CATEGORY = "report_category", "reports by month and category"
    REPORT_PLACE = "report_place", "reports by month and place"
    PLACEMENT = "placement", "placements by month and wider region"


class StatsCount(models.Model):
    """How many reports by month and category, reports by month and place, and placements by month and
    wider destination region there were: true counts, never published as they are (releases add
    noise). Kept no finer than the releases need: never category and place together, never a house or a
    region that could be one house, so even a copy of the database holds no cross-table."""

    kind = models.CharField(max_length=16, choices=StatsKind.choices, verbose_name=_("kind"))
    month = models.DateField(verbose_name=_("month"))  # the first day of the month
    category = models.CharField(max_length=32, blank=True, default="", verbose_name=_("category"))
    governorate = models.CharField(max_length=8, blank=True, default="", verbose_name=_("place"))
    region = models.CharField(max_length=24, blank=True, default="", verbose_name=_("region"))
    count = models.PositiveIntegerField(default=0, verbose_name=_("count"))

    class Meta:
        verbose_name = _("count")
        verbose_name_plural = _("counts")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "month", "category", "governorate", "region"], name="statscount_one_row_a_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.month:%Y-%m} {self.category or self.governorate or self.region}: {self.count}"


class CountedReport(models.Model):
    """A report (or its first placement) already in the roll-up, so that triage run again, or a second
    placement, never counts it twice. Deleted with the report; the counts stay."""

    report = models.OneToOneField(
        "reports.Report", on_delete=models.CASCADE, primary_key=True, related_name="+", verbose_name=_("report")
    )
    report_counted = models.BooleanField(default=False, verbose_name=_("report counted"))
    placement_counted = models.BooleanField(default=False, verbose_name=_("placement counted"))

    def __str__(self) -> str:
        return str(self.report_id)


class Release(models.Model):
    """One month's statistics, as published: the JSON and CSV bytes every partner gets."""

    month = models.DateField(unique=True, verbose_name=_("month"))  # the first day of the month
    built_at = models.DateTimeField(default=timezone.now, verbose_name=_("built"))
    rho = models.DecimalField(max_digits=20, decimal_places=12, verbose_name=_("rho (zCDP)"))
    epsilon = models.FloatField(verbose_name=_("epsilon"))
    delta = models.FloatField(verbose_name=_("delta"))
    body_json = models.BinaryField(editable=False, verbose_name=_("JSON"))
    body_csv = models.BinaryField(editable=False, verbose_name=_("CSV"))
    sha256 = models.CharField(max_length=64, editable=False, verbose_name=_("SHA-256 of the JSON"))

    class Meta:
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        ordering = ["-month"]

    def __str__(self) -> str:
        return self.month.strftime("%Y-%m")


class BudgetYear(models.Model):
    """The privacy budget spent on one year's months (the sum of its ledger entries), locked while a
    release is built so that two builds cannot both fit under the cap. Never reset."""

    year = models.PositiveSmallIntegerField(primary_key=True, verbose_name=_("year"))
    spent = models.DecimalField(max_digits=20, decimal_places=12, verbose_name=_("spent"))

    class Meta:
        verbose_name = _("privacy budget of a year")
        verbose_name_plural = _("privacy budgets")
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}: {self.spent.normalize()}"


class LedgerEntry(models.Model):
    """One spend of privacy budget (zCDP rho), in the year of the month it describes. Never deleted."""

    release = models.OneToOneField(
        Release, on_delete=models.PROTECT, related_name="ledger_entry", verbose_name=_("release")
    )
    year = models.PositiveSmallIntegerField(verbose_name=_("year"))
    rho = models.DecimalField(max_digits=20, decimal_places=12, verbose_name=_("rho (zCDP)"))
    spent_before = models.DecimalField(max_digits=20, decimal_places=12, verbose_name=_("spent before this"))
    cap = models.DecimalField(max_digits=20, decimal_places=12, verbose_name=_("yearly cap"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("recorded"))

    class Meta:
        verbose_name = _("privacy ledger entry")
        verbose_name_plural = _("privacy ledger")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.year}: {self.rho.normalize()}"
