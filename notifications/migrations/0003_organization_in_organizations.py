"""The foreign key's target model moved app (same table): state only, no DDL."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0002_calendar_feed_kind'),
        ('organizations', '0001_tenancy_moved_from_events'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
            migrations.AlterField(
                model_name='announcement',
                name='organization',
                field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='announcements', to='organizations.organization'),
            ),
            ],
        ),
    ]
