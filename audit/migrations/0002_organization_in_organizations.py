"""The foreign key's target model moved app (same table): state only, no DDL."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0001_audit_entry'),
        ('organizations', '0001_tenancy_moved_from_events'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
            migrations.AlterField(
                model_name='auditentry',
                name='organization',
                field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='organizations.organization'),
            ),
            ],
        ),
    ]
