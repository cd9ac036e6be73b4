"""Migration operations that keep a busy database serving while its schema changes."""

from django.db.migrations.operations import AddIndex


class AddIndexConcurrently(AddIndex):
    """CREATE INDEX CONCURRENTLY on PostgreSQL, so that building an index on a large table does not stop
    reporters' writes (or reads) while it runs; a plain CREATE INDEX elsewhere (SQLite in the embedded mode).

    The migration using it must set `atomic = False`. If a concurrent build fails, PostgreSQL leaves an
    invalid index behind: drop it (DROP INDEX CONCURRENTLY name) before running the migration again.
    """

    atomic = False

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.add_index(model, self.index, concurrently=True)
            else:
                schema_editor.add_index(model, self.index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.remove_index(model, self.index, concurrently=True)
            else:
                schema_editor.remove_index(model, self.index)
