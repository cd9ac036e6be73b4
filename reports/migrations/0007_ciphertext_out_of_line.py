"""On PostgreSQL, report ciphertexts are stored out of line (TOAST), so that the rows the queue reads are small.

A report's row held its ~1.5 KB ciphertext inline, so every list page read ~2 KB a row for columns
it never shows. With toast_tuple_target at its minimum, PostgreSQL moves the ciphertext to the
table's TOAST relation and the row keeps a pointer; the change page still reads it in one query.
EXTERNAL storage skips compressing it first (HPKE output is random and does not compress).

Both settings apply to rows written from now on; older rows move when they are next written (or
with VACUUM FULL in a maintenance window). Neither takes a lock that stops reads or writes for
longer than the catalog change. Nothing to do on SQLite.
"""

from django.db import migrations


def _out_of_line(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE reports_report SET (toast_tuple_target = 128)")
        schema_editor.execute("ALTER TABLE reports_report ALTER COLUMN ciphertext SET STORAGE EXTERNAL")


def _inline(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE reports_report RESET (toast_tuple_target)")
        schema_editor.execute("ALTER TABLE reports_report ALTER COLUMN ciphertext SET STORAGE EXTENDED")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0006_drop_plain_severity_reasons"),
    ]

    operations = [migrations.RunPython(_out_of_line, _inline, elidable=False)]
