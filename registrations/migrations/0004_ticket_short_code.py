"""Tickets get an 8-character short code (registrations/shortcodes.py); existing ones are backfilled."""

from django.db import migrations, models

import registrations.shortcodes


def backfill(apps, schema_editor):
    Ticket = apps.get_model("registrations", "Ticket")
    taken = set()
    batch = []
    for ticket in Ticket.objects.filter(short_code__isnull=True).only("pk").iterator(chunk_size=2000):
        code = registrations.shortcodes.new_short_code()
        while code in taken:
            code = registrations.shortcodes.new_short_code()
        taken.add(code)
        ticket.short_code = code
        batch.append(ticket)
        if len(batch) >= 2000:
            Ticket.objects.bulk_update(batch, ["short_code"])
            batch = []
    if batch:
        Ticket.objects.bulk_update(batch, ["short_code"])


class Migration(migrations.Migration):
    dependencies = [
        ("registrations", "0003_idempotency_key_moved_to_common"),
    ]

    operations = [
        # Nullable first: a callable default would give every existing row the same code.
        migrations.AddField(
            model_name="ticket",
            name="short_code",
            field=models.CharField(editable=False, max_length=8, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="ticket",
            name="short_code",
            field=models.CharField(
                default=registrations.shortcodes.new_short_code, editable=False, max_length=8, unique=True
            ),
        ),
    ]
