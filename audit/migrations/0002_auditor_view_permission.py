"""Let the auditor role read the audit chain in the admin (view only; nobody may change it).

The permission normally appears in post_migrate, after every migration has run,
so it is created here if it does not exist yet; post_migrate then finds it.
"""

from django.db import migrations

CODENAME = "view_auditentry"


def grant_view_to_auditors(apps, schema_editor):
    db = schema_editor.connection.alias
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.using(db).get_or_create(app_label="audit", model="auditentry")
    permission, _ = Permission.objects.using(db).get_or_create(
        content_type=content_type, codename=CODENAME, defaults={"name": "Can view audit entry"}
    )
    auditor, _ = Group.objects.using(db).get_or_create(name="auditor")
    auditor.permissions.add(permission)


def revoke_view_from_auditors(apps, schema_editor):
    db = schema_editor.connection.alias
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    permission = Permission.objects.using(db).filter(content_type__app_label="audit", codename=CODENAME).first()
    auditor = Group.objects.using(db).filter(name="auditor").first()
    if permission is not None and auditor is not None:
        auditor.permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("accounts", "0002_role_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_view_to_auditors, revoke_view_from_auditors)]
