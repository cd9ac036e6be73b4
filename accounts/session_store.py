"""Database sessions that know their user, so every session of a user can be ended at once."""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DBStore

from accounts.models import StaffSession, StaffUser


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls):
        return StaffSession

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        instance.user_id = data.get("_auth_user_id") or None
        return instance


def sessions_end(user: StaffUser | str) -> int:
    """Delete every session of `user` (its stashed personal key goes with it)."""
    user_id = getattr(user, "pk", user)
    deleted, _ = StaffSession.objects.filter(user_id=user_id).delete()
    return deleted
