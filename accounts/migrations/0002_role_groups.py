"""Create one group per staff role. Permissions are attached to them by later migrations."""

from django.db import migrations

ROLES = ["caseworker", "triage_lead", "relocation_coordinator", "auditor", "sysadmin"]


def create_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    # Reversing leaves the groups: they may hold memberships by then.
    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
