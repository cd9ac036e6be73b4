"""Accounts that existed before must_change_password may have a personal key wrapped under a
password an account manager typed (staff_create wrapped it under whatever was given). Flag
them all: at next login each owner chooses their own password, which makes a fresh key pair
and re-wraps their grants (accounts.services.staff_change_password). Nothing is lost."""

from django.db import migrations


def flag_existing(apps, schema_editor):
    apps.get_model("accounts", "StaffUser").objects.update(must_change_password=True)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_staffuser_must_change_password")]

    operations = [migrations.RunPython(flag_existing, migrations.RunPython.noop)]
