"""Staff accounts (sysadmins) and shared keys with their grants (key holders) in the admin.

Roles are Django groups whose names carry meaning, so nobody may create,
rename or delete them through the admin (the Group admin is unregistered):
every change goes through accounts.services, which enforces who may hold
keys, never orphans a key, ends the user's sessions and writes the audit chain.
"""

from __future__ import annotations

import django.contrib.auth.admin  # noqa: F401  (registers Group first: accounts loads before auth)
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.debug import sensitive_post_parameters

from accounts import services
from accounts.models import Coverage, RoleProposal, SharedKey, StaffUser, TOTPDevice
from accounts.roles import (
    DECRYPTING_ROLES,
    MAY_GRANT,
    MAY_HOLD,
    ROLE_PURPOSE,
    KeyPurpose,
    Role,
    has_role,
    role_label,
    role_labels,
)
from audit.actions import Action
from audit.models import AuditEntry
from backend.admin_base import ReadOnlyModelAdmin, ScopedAdminMixin
from backend.crypto.errors import CryptoError
from backend.places import LANGUAGE_NAMES, PLACES, place_choices, place_groups

admin.site.unregister(Group)


def _has_role(request, *roles: str) -> bool:
    return has_role(request.user, *roles)


_PROPOSED_HELP = gettext_lazy(
    "Caseworker, triage lead and relocation coordinator read encrypted content: such a role is only proposed "
    "here, and takes effect once a key holder approves it with their password (Role proposals)."
)


class StaffCreateForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Username"), max_length=150)
    password = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput,
        help_text=gettext_lazy("At least 12 characters, not a common password."),
    )
    roles = forms.MultipleChoiceField(
        label=gettext_lazy("Roles"), choices=Role.choices, widget=forms.CheckboxSelectMultiple, help_text=_PROPOSED_HELP
    )
    contact = forms.EmailField(
        # Translators: an e-mail address to send notifications to.
        label=gettext_lazy("Contact"),
        required=False,
        help_text=gettext_lazy("For notifications. Stored sealed."),
    )


# No "force" here: forcing removes a key's last holder and retires the key, which
# makes everything encrypted to it unreadable. One coerced account manager must not
# be able to do that from a browser; it takes a shell on the server (`--force`).
class StaffRolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=gettext_lazy("Roles"),
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "Roles left unticked are removed at once (a pending proposal of one is cancelled). A caseworker, "
            "triage lead or relocation coordinator role ticked here is proposed, and takes effect once a key "
            "holder approves it with their password."
        ),
    )


class StaffResetForm(forms.Form):
    new_password = forms.CharField(
        label=gettext_lazy("New password"),
        strip=False,
        widget=forms.PasswordInput,
        help_text=gettext_lazy("Temporary: they must choose their own at their next login."),
    )


class RoleListFilter(admin.RelatedFieldListFilter):
    """The filter on groups, naming each role by its label rather than its group name (a code)."""

    def field_choices(self, field, request, model_admin):
        return [(pk, role_label(name)) for pk, name in super().field_choices(field, request, model_admin)]


@admin.register(StaffUser)
class StaffUserAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Sysadmins manage accounts and roles here; they never see or hold a key."""

    list_display = ("username", "roles", "is_active", "key_access", "two_factor", "date_joined")
    list_filter = ("is_active", "groups")
    search_fields = ("=username",)
    ordering = ("username",)
    actions = None
    fields = ("username", "is_active", "date_joined")
    readonly_fields = ("username", "is_active", "date_joined")
    change_form_template = "accounts/admin/staff_change.html"

    def get_list_filter(self, request):
        # list_filter as declared (ScopedAdminMixin.lookup_allowed reads it), with roles named by their labels.
        return ("is_active", ("groups", RoleListFilter))

    def has_module_permission(self, request):
        return _has_role(request, Role.SYSADMIN)

    def has_view_permission(self, request, obj=None):
        return _has_role(request, Role.SYSADMIN) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return _has_role(request, Role.SYSADMIN) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return False  # changes are the actions below, each through accounts.services

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: rows are referenced by history

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("groups", "key_grants", _pending_prefetch())
            .select_related("personal_key")
        )

    @admin.display(description=gettext_lazy("roles"))
    def roles(self, obj):
        return ", ".join([*role_labels(obj.role_names), *_pending_labels(obj)])

    @admin.display(description=gettext_lazy("key access"))
    def key_access(self, obj):
        return _key_access(obj)

    # Translators: short for "two-factor login" (password and a code from an authenticator app).
    @admin.display(description=gettext_lazy("2FA"), boolean=True)
    def two_factor(self, obj):
        return TOTPDevice.objects.filter(user=obj, confirmed=True).exists()

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<uuid:object_id>/do/<str:action>/", wrap(self.act_view), name="accounts_staffuser_act"),
            *super().get_urls(),
        ]

    @method_decorator(sensitive_post_parameters("password"))
    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise Http404("Not found.")
        form = StaffCreateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                user = services.staff_create(
                    username=data["username"],
                    password=data["password"],
                    roles=data["roles"],
                    contact=data["contact"] or None,
                    acting_user=request.user,
                    via="admin",
                )
            except services.AccountError as exc:
                form.add_error(None, str(exc))
            except ValidationError as exc:
                form.add_error("password", exc)
            else:
                messages.success(
                    request,
                    _("Created %(username)s. They set up two-factor login at their first login.")
                    % {"username": user.username},
                )
                _say_proposed(request, user, DECRYPTING_ROLES & set(data["roles"]))
                return redirect("admin:accounts_staffuser_change", user.pk)
        return self._page(request, _("Add staff"), form, "add")

    def _page(self, request, title, form, action, obj=None, **extra):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "form": form,
            "action": action,
            "original": obj,
            **extra,
        }
        response = TemplateResponse(request, "accounts/admin/staff_form.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        user = self.get_in_scope_or_404(request, object_id)
        pending = list(_pending_of(user))
        extra = {
            "staff": user,
            "key_access": _key_access(user),
            "role_labels": role_labels(user.role_names),
            "grants": user.key_grants.select_related("shared_key").order_by("shared_key__key_id"),
            "two_factor": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
            "roles_form": StaffRolesForm(initial={"roles": sorted(user.role_names | {p.role for p in pending})}),
            "reset_form": StaffResetForm(),
            "pending_proposals": pending,
        }
        return super().change_view(request, str(user.pk), form_url, {**(extra_context or {}), **extra})

    @method_decorator(sensitive_post_parameters("new_password"))
    def act_view(self, request, object_id, action):
        if request.method != "POST":
            raise Http404("Not found.")
        user = self.get_in_scope_or_404(request, object_id)
        actor = request.user
        try:
            if action == "roles":
                form = StaffRolesForm(request.POST)
                if not form.is_valid():
                    raise services.AccountError(_("Choose at least one role."))
                made = services.staff_set_roles(user=user, roles=form.cleaned_data["roles"], acting_user=actor)
                messages.success(
                    request,
                    _("Roles of %(username)s changed; their sessions were ended.") % {"username": user.username},
                )
                _say_proposed(request, user, {proposal.role for proposal in made})
            elif action == "cancel_proposal":
                proposal = _pending_of(user).filter(pk=request.POST.get("proposal") or None).first()
                if proposal is None:
                    raise services.AccountError(
                        _("This proposal is no longer open (approved, cancelled, rejected or expired).")
                    )
                services.role_proposal_cancel(proposal=proposal, acting_user=actor)
                messages.success(
                    request,
                    # Translators: %(role)s is a role's name, %(username)s a member of staff.
                    _("The proposal of %(role)s for %(username)s is cancelled.")
                    % {"role": role_label(proposal.role), "username": user.username},
                )
            elif action == "deactivate":
                if user.pk == actor.pk:
                    raise services.AccountError(_("You cannot deactivate yourself."))
                lost = services.staff_deactivate(user=user, acting_user=actor)
                messages.success(
                    request,
                    ngettext(
                        "%(username)s is deactivated and logged out everywhere; %(count)d key grant revoked.",
                        "%(username)s is deactivated and logged out everywhere; %(count)d key grants revoked.",
                        lost,
                    )
                    % {"username": user.username, "count": lost},
                )
            elif action == "reset_password":
                form = StaffResetForm(request.POST)
                if not form.is_valid():
                    raise services.AccountError(_("Type a new password."))
                held = DECRYPTING_ROLES & user.role_names
                lost = services.staff_reset_password(
                    user=user, new_password=form.cleaned_data["new_password"], acting_user=actor
                )
                messages.warning(
                    request,
                    ngettext(
                        "Password of %(username)s reset; their two-factor device was removed. At their next login "
                        "they set up two-factor again and choose their own password. They lost %(count)d key grant: "
                        "they can read no report until a key holder grants them access again.",
                        "Password of %(username)s reset; their two-factor device was removed. At their next login "
                        "they set up two-factor again and choose their own password. They lost %(count)d key grants: "
                        "they can read no report until a key holder grants them access again.",
                        lost,
                    )
                    % {"username": user.username, "count": lost},
                )
                again = held & {proposal.role for proposal in _pending_of(user)}
                if again:
                    messages.warning(
                        request,
                        # Translators: %(roles)s lists roles, e.g. "Caseworker"; %(username)s is a member of staff.
                        _(
                            "%(username)s no longer acts as %(roles)s: whoever knows the new password could. "
                            "It is proposed again, and a key holder approves it once %(username)s has chosen "
                            "their own password."
                        )
                        % {"roles": ", ".join(role_labels(again)), "username": user.username},
                    )
            else:
                raise Http404("Not found.")
        except services.AccountError as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("admin:accounts_staffuser_change", user.pk)


def _pending_of(user: StaffUser):
    """The user's proposals still waiting for approval (pending and not past their time)."""
    return (
        RoleProposal.objects.filter(subject=user, state=RoleProposal.State.PENDING, expires_at__gt=timezone.now())
        .select_related("proposed_by")
        .order_by("role")
    )


def _pending_prefetch():
    return Prefetch(
        "role_proposals",
        queryset=RoleProposal.objects.filter(state=RoleProposal.State.PENDING, expires_at__gt=timezone.now()),
        to_attr="open_proposals",
    )


def _pending_labels(user: StaffUser) -> list[str]:
    # Translators: a role proposed for a member of staff that does not act yet, e.g. "Caseworker (pending approval)".
    return [_("%(role)s (pending approval)") % {"role": role_label(p.role)} for p in user.open_proposals]


def _say_proposed(request, user: StaffUser, roles: set[str]) -> None:
    if roles:
        messages.warning(
            request,
            # Translators: %(roles)s lists roles, e.g. "Caseworker"; %(username)s is a member of staff.
            _(
                "%(roles)s for %(username)s is only proposed: it takes effect once a key holder approves it "
                "(Role proposals)."
            )
            % {"roles": ", ".join(role_labels(roles)), "username": user.username},
        )


def _key_access(user: StaffUser) -> str:
    holds = bool(MAY_HOLD[KeyPurpose.INTAKE] & user.role_names or MAY_HOLD[KeyPurpose.RELOCATION] & user.role_names)
    if not holds:
        pending = getattr(user, "open_proposals", None)  # prefetched on the list
        if pending if pending is not None else _pending_of(user).exists():
            if user.must_change_password:
                return _(
                    "NONE: must first choose their own password (at next login); then their role waits for a "
                    "key holder's approval"
                )
            return _("NONE: their role is waiting for a key holder's approval")
        return _("never (role does not decrypt)")
    grants = len(user.key_grants.all())
    if user.must_change_password:
        return _("NONE: must first choose their own password (at next login), then needs a grant from a key holder")
    if not hasattr(user, "personal_key"):
        return _("NONE: no personal key (set at their next password change)")
    if grants == 0:
        return _("NONE: needs a grant from a key holder")
    return ngettext("%(count)d grant", "%(count)d grants", grants) % {"count": grants}


class GranteeField(forms.ModelChoiceField):
    """Says when a colleague's password was last reset by someone else: whoever logged in first
    after that reset chose the password that protects the key this grant wraps to."""

    def label_from_instance(self, user):
        reset = (
            AuditEntry.objects.filter(action=Action.STAFF_PASSWORD_RESET, object_id=str(user.pk))
            .order_by("-seq")
            .first()
        )
        if reset is None:
            return user.username
        return _(
            # Translators: a colleague in a list; %(reset_by)s is who reset their password, %(date)s a date (2025-01-31).
            "%(username)s (password reset by %(reset_by)s on %(date)s: "
            "confirm with them in person that they chose the new one)"
        ) % {"username": user.username, "reset_by": reset.actor_name, "date": f"{reset.at:%Y-%m-%d}"}


class GrantForm(forms.Form):
    grantee = GranteeField(queryset=StaffUser.objects.none(), label=gettext_lazy("Colleague"))
    password = forms.CharField(
        strip=False,
        widget=forms.PasswordInput,
        label=gettext_lazy("Your password"),
        help_text=gettext_lazy("Granting opens your copy of the key: confirm it is you."),
    )


@admin.register(SharedKey)
class SharedKeyAdmin(ReadOnlyModelAdmin):
    """Intake and relocation keys: holders see who holds them and grant them to colleagues."""

    list_display = ("key_id", "purpose", "suite", "active", "holders", "created_at")
    list_filter = ("purpose", "active")
    ordering = ("-created_at",)
    actions = None
    fields = ("key_id", "purpose", "suite", "active", "created_at", "retired_at")
    readonly_fields = fields
    change_form_template = "accounts/admin/sharedkey_change.html"

    def _granter_of(self, request) -> set[str]:
        return {purpose for purpose in KeyPurpose if _has_role(request, *MAY_GRANT[purpose])}

    def has_module_permission(self, request):
        return bool(self._granter_of(request))

    def has_view_permission(self, request, obj=None):
        return bool(self._granter_of(request)) and super().has_view_permission(request, obj)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(purpose__in=self._granter_of(request))
            .prefetch_related("grants__holder")
        )

    @admin.display(description=gettext_lazy("holders"))
    def holders(self, obj):
        return ", ".join(sorted(g.holder.username for g in obj.grants.all()))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<uuid:object_id>/grant/", wrap(self.grant_view), name="accounts_sharedkey_grant"),
            *super().get_urls(),
        ]

    def _grant_form(self, key: SharedKey, data=None) -> GrantForm:
        form = GrantForm(data)
        form.fields["grantee"].queryset = (
            StaffUser.objects.acting()
            .filter(groups__name__in=MAY_HOLD[KeyPurpose(key.purpose)])
            .exclude(key_grants__shared_key=key)
            .distinct()
            .order_by("username")
        )
        return form

    def change_view(self, request, object_id, form_url="", extra_context=None):
        key = self.get_in_scope_or_404(request, object_id)
        holds = key.grants.filter(holder=request.user).exists()
        extra = {
            "grants": key.grants.select_related("holder", "granted_by").order_by("holder__username"),
            "grant_form": self._grant_form(key) if holds and key.active else None,
            "holds": holds,
        }
        return super().change_view(request, str(key.pk), form_url, {**(extra_context or {}), **extra})

    @method_decorator(sensitive_post_parameters("password"))
    def grant_view(self, request, object_id):
        if request.method != "POST":
            raise Http404("Not found.")
        key = self.get_in_scope_or_404(request, object_id)
        form = self._grant_form(key, request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a colleague who may hold this key, and type your password."))
        else:
            try:
                services.key_grant_create(
                    shared_key=key,
                    grantor=request.user,
                    grantor_password=form.cleaned_data["password"],
                    grantee=form.cleaned_data["grantee"],
                )
            except CryptoError:
                messages.error(request, _("That is not your password."))
            except services.AccountError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request,
                    _("%(username)s now holds %(key_id)s.")
                    % {"username": form.cleaned_data["grantee"].username, "key_id": key.key_id},
                )
        return redirect("admin:accounts_sharedkey_change", key.pk)


class ApproveRoleForm(forms.Form):
    password = forms.CharField(
        strip=False,
        widget=forms.PasswordInput,
        label=gettext_lazy("Your password"),
        help_text=gettext_lazy("Approving opens your copy of the key, as granting does: confirm it is you."),
    )


@admin.register(RoleProposal)
class RoleProposalAdmin(ReadOnlyModelAdmin):
    """Proposed decrypting roles: sysadmins see and cancel every one; a key holder who may grant keys of
    a role's purpose approves (with their password) or rejects the proposals of that purpose."""

    list_display = ("subject", "role", "state_now", "proposed_by_name", "proposed_at", "expires_at", "decided_by")
    list_filter = ("state", "role")
    ordering = ("-proposed_at",)
    actions = None
    fields = (
        "subject",
        "role",
        "state_now",
        "proposed_by_name",
        "proposed_at",
        "expires_at",
        "decided_by",
        "decided_at",
    )
    readonly_fields = fields
    change_form_template = "accounts/admin/roleproposal_change.html"

    def _sysadmin(self, request) -> bool:
        return _has_role(request, Role.SYSADMIN)

    def _purposes(self, request) -> set[str]:
        """The purposes whose roles this user could approve: they may grant its keys."""
        return {purpose for purpose in KeyPurpose if _has_role(request, *MAY_GRANT[purpose])}

    def has_module_permission(self, request):
        return self._sysadmin(request) or bool(self._purposes(request))

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and super().has_view_permission(request, obj)

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("subject", "proposed_by", "decided_by")
        if self._sysadmin(request):
            return queryset
        purposes = self._purposes(request)
        return queryset.filter(role__in=[role for role, purpose in ROLE_PURPOSE.items() if purpose in purposes])

    @admin.display(description=gettext_lazy("state"), ordering="state")
    def state_now(self, obj):
        if obj.state == RoleProposal.State.PENDING and not obj.is_open:
            return RoleProposal.State.EXPIRED.label
        return obj.get_state_display()

    # Translators: a column header: who proposed the role; "server" when it was the command line.
    @admin.display(description=gettext_lazy("proposed by"), ordering="proposed_by__username")
    def proposed_by_name(self, obj):
        # Translators: who proposed a role when it was proposed on the server's command line, not by a person.
        return obj.proposed_by.username if obj.proposed_by_id else _("the server")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<uuid:object_id>/decide/<str:decision>/", wrap(self.decide_view), name="accounts_roleproposal_decide"
            ),
            *super().get_urls(),
        ]

    def _may_approve(self, request, proposal: RoleProposal) -> bool:
        return services.role_proposals_approvable(request.user).filter(pk=proposal.pk).exists()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        proposal = self.get_in_scope_or_404(request, object_id)
        may_approve = proposal.is_open and self._may_approve(request, proposal)
        subject = StaffUser.objects.get(pk=proposal.subject_id)
        extra = {
            "may_decide": may_approve,
            "approve_form": ApproveRoleForm() if may_approve and not subject.must_change_password else None,
            "may_cancel": proposal.is_open and self._sysadmin(request),
            "is_open": proposal.is_open,
            "own": request.user.pk in (proposal.subject_id, proposal.proposed_by_id),
            "subject_facts": _subject_facts(subject, proposal) if proposal.is_open else None,
        }
        return super().change_view(request, str(proposal.pk), form_url, {**(extra_context or {}), **extra})

    @method_decorator(sensitive_post_parameters("password"))
    def decide_view(self, request, object_id, decision):
        if request.method != "POST" or decision not in ("approve", "reject", "cancel"):
            raise Http404("Not found.")
        proposal = self.get_in_scope_or_404(request, object_id)
        words = {"role": role_label(proposal.role), "username": proposal.subject.username}
        try:
            if decision == "approve":
                form = ApproveRoleForm(request.POST)
                if not form.is_valid():
                    raise services.AccountError(_("Type your password to approve."))
                services.role_proposal_approve(
                    proposal=proposal,
                    approver=request.user,
                    approver_password=form.cleaned_data["password"],
                    via="admin",
                )
                # Translators: %(role)s is a role's name, %(username)s a member of staff.
                messages.success(
                    request, _("Role approved: %(username)s is now %(role)s; their sessions were ended.") % words
                )
            elif decision == "reject":
                services.role_proposal_reject(proposal=proposal, acting_user=request.user)
                # Translators: %(role)s is a role's name, %(username)s a member of staff.
                messages.success(request, _("The proposal of %(role)s for %(username)s is rejected.") % words)
            else:
                services.role_proposal_cancel(proposal=proposal, acting_user=request.user)
                messages.success(request, _("The proposal of %(role)s for %(username)s is cancelled.") % words)
        except CryptoError:
            messages.error(request, _("That is not your password."))
        except services.AccountError as exc:
            messages.error(request, str(exc))
        return redirect("admin:accounts_roleproposal_change", proposal.pk)


def _server_or(entry: AuditEntry) -> str:
    # Translators: who did something when it was done on the server's command line, not by a person.
    return entry.actor_name if entry.actor_id else _("the server")


def _subject_facts(subject: StaffUser, proposal: RoleProposal) -> dict:
    """What an approver should know of whom a role is for, from the audit chain (as GranteeField does): who
    made the account and when, and whether its password was then typed at the server's prompt; whose
    passwords it has had and when one was last chosen at a login; when two-factor login was last set up;
    the logins since the last reset; the roles it holds now; and whether this very proposal came from a
    password reset (the resetter could have logged in as the person, set up their own two-factor login
    and chosen "her own" password: only the person can say it was them)."""
    entries = AuditEntry.objects.filter(object_type="staff", object_id=str(subject.pk))
    created = entries.filter(action=Action.STAFF_CREATED).order_by("seq").first()
    resets = list(entries.filter(action=Action.STAFF_PASSWORD_RESET).order_by("-seq")[:10])
    chosen = entries.filter(action=Action.STAFF_PASSWORD_CHANGED).order_by("-seq").first()
    enrolled = entries.filter(action=Action.TOTP_ENROLLED).order_by("-seq").first()
    last_reset = resets[0] if resets else None
    logins = None
    if last_reset is not None:
        logins = entries.filter(action=Action.LOGIN_SUCCEEDED, seq__gt=last_reset.seq).count()
    proposed = entries.filter(action=Action.ROLE_PROPOSED, details__proposal=str(proposal.pk)).order_by("seq").first()
    by_reset = None
    if proposed is not None and proposed.details.get("reason") == "password_reset":
        reset = entries.filter(action=Action.STAFF_PASSWORD_RESET, seq__lt=proposed.seq).order_by("-seq").first()
        if reset is not None:
            by_reset = {"by": _server_or(reset), "at": reset.at}
    return {
        "subject": subject,
        "created_by": _server_or(created) if created else None,
        # The first password typed on the server as the person's own (create_staff --own-password): the
        # person may not have been the one typing it.
        "typed_at_prompt": bool(
            created and created.details.get("own_password") and created.details.get("via") == "command_line"
        ),
        "joined": subject.date_joined,
        "resets": [{"by": _server_or(entry), "at": entry.at} for entry in resets],
        "must_change": subject.must_change_password,
        "password_chosen_at": chosen.at if chosen else None,
        "totp_enrolled_at": enrolled.at if enrolled else None,
        "logins_since_reset": logins,
        "by_reset": by_reset,
        "roles": role_labels(subject.role_names),
    }


class CoverageForm(forms.ModelForm):
    """Checked by accounts.services.coverage_clean, the same rule set_coverage uses."""

    governorates = forms.MultipleChoiceField(
        label=gettext_lazy("Governorates"),
        choices=(),  # named and grouped in the reader's language: see __init__
        widget=forms.SelectMultiple(attrs={"size": 14}),
        help_text=gettext_lazy(
            "Iraq's governorates outside the Kurdistan Region first, then the Kurdistan Region's, then countries "
            "for reporters abroad. "
            "Hold Ctrl to choose several."
        ),
    )
    languages = forms.MultipleChoiceField(
        label=gettext_lazy("Languages"),
        choices=sorted(LANGUAGE_NAMES.items()),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Coverage
        fields = ("user", "governorates", "languages", "capacity", "accepting")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["governorates"].choices = place_groups(PLACES)

    def clean(self):
        data = super().clean()
        if {"governorates", "languages", "capacity"} <= set(data):
            try:
                data["governorates"], data["languages"], data["capacity"] = services.coverage_clean(
                    governorates=data["governorates"], languages=data["languages"], capacity=data["capacity"]
                )
            except services.AccountError as exc:
                raise ValidationError(str(exc)) from None
        return data


@admin.register(Coverage)
class CoverageAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Which governorates and languages each caseworker takes, and how many cases: set by triage leads."""

    form = CoverageForm
    list_display = ("user", "places", "language_names", "capacity", "accepting")
    actions = None
    fields = ("user", "governorates", "languages", "capacity", "accepting")

    def _lead(self, request) -> bool:
        return _has_role(request, Role.TRIAGE_LEAD)

    def has_module_permission(self, request):
        return self._lead(request)

    def has_view_permission(self, request, obj=None):
        return self._lead(request) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._lead(request) and super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return self._lead(request) and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("places"))
    def places(self, obj):
        return ", ".join(name for _, name in place_choices(obj.governorates))

    @admin.display(description=gettext_lazy("languages"))
    def language_names(self, obj):
        return ", ".join(LANGUAGE_NAMES.get(code, code) for code in obj.languages)

    def get_readonly_fields(self, request, obj=None):
        # A row belongs to one caseworker: handing places over is a change of the new caseworker's row
        # (and of the old one's), never a move of the row, which would leave the old one covering them.
        return ("user",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        try:
            obj.pk = services.coverage_set(
                user=obj.user,
                governorates=obj.governorates,
                languages=obj.languages,
                capacity=obj.capacity,
                accepting=obj.accepting,
                acting_user=request.user,
            ).pk
        except services.AccountError as exc:  # the caseworker lost the role between form and save
            messages.error(request, str(exc))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = StaffUser.objects.caseworkers().order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
