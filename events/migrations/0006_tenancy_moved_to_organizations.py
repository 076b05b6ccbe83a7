"""Tenancy models left for organizations (same tables): state only, no DDL."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0005_event_image'),
        ('organizations', '0001_tenancy_moved_from_events'),
        # Every foreign key to the moved models points at their new app before the old state goes.
        ('audit', '0002_organization_in_organizations'),
        ('notifications', '0003_organization_in_organizations'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
            migrations.AlterField(
                model_name='event',
                name='category',
                field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='events', to='organizations.category'),
            ),
            migrations.RemoveField(
                model_name='membership',
                name='organization',
            ),
            migrations.RemoveField(
                model_name='membership',
                name='user',
            ),
            migrations.RemoveField(
                model_name='venue',
                name='organization',
            ),
            migrations.AlterField(
                model_name='event',
                name='organization',
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='events', to='organizations.organization'),
            ),
            migrations.AlterField(
                model_name='event',
                name='venue',
                field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='events', to='organizations.venue'),
            ),
            migrations.AlterField(
                model_name='session',
                name='venue',
                field=models.ForeignKey(blank=True, help_text="Leave empty to use the event's venue.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='sessions', to='organizations.venue'),
            ),
            migrations.DeleteModel(
                name='Category',
            ),
            migrations.DeleteModel(
                name='Membership',
            ),
            migrations.DeleteModel(
                name='Organization',
            ),
            migrations.DeleteModel(
                name='Venue',
            ),
            ],
        ),
    ]
