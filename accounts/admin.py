"""Admin registrations for accounts.

Roles are Django groups whose names carry meaning, so nobody may create,
rename or delete them through the admin: role changes go through
accounts.services (staff_set_roles), which enforces who may hold keys.
"""

import django.contrib.auth.admin  # noqa: F401  (registers Group first: accounts loads before auth)
from django.contrib import admin
from django.contrib.auth.models import Group

admin.site.unregister(Group)
