"""Organization, Membership, Venue, Category (from events) and ApiToken (from common) change app, not table: state only, no DDL."""

import common.i18n
import django.db.models.deletion
from django.conf import settings
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

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('contenttypes', '0002_remove_content_type_name'),
        ('events', '0005_event_image'),
        ('common', '0001_api_token'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
            migrations.CreateModel(
                name='Category',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('slug', models.SlugField(unique=True)),
                    ('name', models.JSONField(default=dict, verbose_name='name')),
                ],
                options={
                    'verbose_name_plural': 'categories',
                    'db_table': 'events_category',
                    'ordering': ['slug'],
                },
                bases=(common.i18n.TranslatedMixin, models.Model),
            ),
            migrations.CreateModel(
                name='Organization',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('slug', models.SlugField(unique=True)),
                    ('name', models.JSONField(default=dict, verbose_name='name')),
                    ('contact_email', models.EmailField(blank=True, max_length=254)),
                    ('default_language', models.CharField(default='en', max_length=10)),
                    ('timezone', models.CharField(default='Asia/Shanghai', max_length=64)),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                ],
                options={
                    'db_table': 'events_organization',
                    'ordering': ['slug'],
                },
                bases=(common.i18n.TranslatedMixin, models.Model),
            ),
            migrations.CreateModel(
                name='ApiToken',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('name', models.CharField(help_text='The device or use, e.g. door phone 2.', max_length=100, verbose_name='name')),
                    ('digest', models.CharField(editable=False, max_length=64, unique=True)),
                    ('prefix', models.CharField(editable=False, max_length=8, verbose_name='starts with')),
                    ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                    ('last_used_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='last used')),
                    ('created_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                    ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                ],
                options={
                    'verbose_name': 'API token',
                    'verbose_name_plural': 'API tokens',
                    'db_table': 'common_apitoken',
                    'ordering': ['-created_at', '-id'],
                },
            ),
            migrations.CreateModel(
                name='Membership',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('role', models.CharField(choices=[('owner', 'Owner'), ('manager', 'Manager'), ('volunteer', 'Volunteer')], max_length=16)),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                    ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to=settings.AUTH_USER_MODEL)),
                    ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='organizations.organization')),
                ],
                options={
                    'db_table': 'events_membership',
                    'constraints': [models.UniqueConstraint(fields=('user', 'organization'), name='membership_unique_user_org')],
                },
            ),
            migrations.CreateModel(
                name='Venue',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('name', models.JSONField(default=dict, verbose_name='name')),
                    ('address', models.JSONField(blank=True, default=dict, verbose_name='address')),
                    ('latitude', models.DecimalField(blank=True, decimal_places=6, max_digits=9, null=True)),
                    ('longitude', models.DecimalField(blank=True, decimal_places=6, max_digits=9, null=True)),
                    ('accessibility_notes', models.JSONField(blank=True, default=dict, verbose_name='accessibility notes')),
                    ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='venues', to='organizations.organization')),
                ],
                options={
                    'db_table': 'events_venue',
                    'ordering': ['id'],
                    'constraints': [models.CheckConstraint(condition=models.Q(('latitude__isnull', True), models.Q(('latitude__gte', -90), ('latitude__lte', 90)), _connector='OR'), name='venue_latitude_range'), models.CheckConstraint(condition=models.Q(('longitude__isnull', True), models.Q(('longitude__gte', -180), ('longitude__lte', 180)), _connector='OR'), name='venue_longitude_range')],
                },
                bases=(common.i18n.TranslatedMixin, models.Model),
            ),
            ],
        ),
        _relabel([("events", "organizations", "organization"), ("events", "organizations", "membership"), ("events", "organizations", "venue"), ("events", "organizations", "category"), ("common", "organizations", "apitoken")]),
    ]
