"""IdempotencyKey arrives from registrations, ApiToken leaves for organizations: state only, no DDL."""

from django.db import migrations, models


def _relabel(moves):
    """Content types (and so admin permissions and log entries) follow their model to the new app."""

    def forward(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        for old_app, new_app, model in moves:
            if not ContentType.objects.filter(app_label=new_app, model=model).exists():
                ContentType.objects.filter(app_label=old_app, model=model).update(app_label=new_app)

    def backward(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        for old_app, new_app, model in moves:
            if not ContentType.objects.filter(app_label=old_app, model=model).exists():
                ContentType.objects.filter(app_label=new_app, model=model).update(app_label=old_app)

    return migrations.RunPython(forward, backward)


class Migration(migrations.Migration):

    dependencies = [
        ('common', '0001_api_token'),
        ('organizations', '0001_tenancy_moved_from_events'),
        ('registrations', '0002_registration_anonymised_at'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
            migrations.CreateModel(
                name='IdempotencyKey',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('key', models.CharField(max_length=255)),
                    ('scope', models.CharField(max_length=255)),
                    ('request_fingerprint', models.CharField(max_length=64)),
                    ('response_status', models.PositiveSmallIntegerField()),
                    ('response_body', models.JSONField()),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                ],
                options={
                    'db_table': 'registrations_idempotencykey',
                    'constraints': [models.UniqueConstraint(fields=('scope', 'key'), name='idempotency_unique_scope_key')],
                },
            ),
            migrations.DeleteModel(
                name='ApiToken',
            ),
            ],
        ),
        _relabel([("registrations", "common", "idempotencykey")]),
    ]
