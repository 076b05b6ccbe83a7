"""IdempotencyKey now lives in common (same table): state only, no DDL."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('registrations', '0002_registration_anonymised_at'),
        ('common', '0002_idempotency_key_moved_in_api_token_moved_out'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
            migrations.DeleteModel(
                name='IdempotencyKey',
            ),
            ],
        ),
    ]
