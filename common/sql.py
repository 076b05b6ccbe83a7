"""INSERTs written once per model, for the hot paths.

``bulk_create`` and ``save(force_insert=True)`` compile the INSERT from the model on every call;
on a registration that is five compilations inside the event's lock, more CPU than the database
spends on the rows. ``insert_rows`` writes the statement once per model and database and sends the
rows' values, converted exactly as ``save()`` converts them (each field's ``pre_save`` and
``get_db_prep_save``), with ``RETURNING`` the ids. It is for plain rows only: a model with
``pre_save``/``post_save`` receivers is saved row by row by ``save()`` (so a receiver added later
still runs), and a database that cannot return ids from a multi-row INSERT gets ``bulk_create``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, router, transaction
from django.db.models import Model
from django.db.models.signals import post_save, pre_save


def insert_rows(objs: Sequence[Model], *, before: str = "") -> list[Model]:
    """INSERT these new rows of one model in one statement; sets their ids. ``before``: a statement
    sent in the same round trip, ahead of the INSERT (outside a transaction the two run as one
    implicit transaction; inside one, or by the fallbacks, both run in one ``atomic()``)."""
    if not objs:
        return list(objs)
    model = type(objs[0])
    connection = connections[router.db_for_write(model)]
    listened = pre_save.has_listeners(model) or post_save.has_listeners(model)
    one_statement = connection.features.can_return_rows_from_bulk_insert and not (before and connection.in_atomic_block)
    if listened or not one_statement:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            if before:
                cursor.execute(before)  # it holds for the INSERT's transaction, as in one round trip
            if not listened:
                return model._default_manager.bulk_create(objs)
            for obj in objs:  # the receivers see each row saved, as save() would have it
                obj.save(force_insert=True)
            return list(objs)
    fields, head, row, tail = _statement(model, connection.alias)
    values = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="insert_rows")
        values += [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
    sql = f"{before}; " if before else ""
    with connection.cursor() as cursor:
        cursor.execute(sql + head + ", ".join([row] * len(objs)) + tail, values)
        if before:
            cursor.nextset()  # past the first statement's result, to the INSERT's RETURNING
        ids = [pk for (pk,) in cursor.fetchall()]
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, connection.alias
    return list(objs)


_statements: dict[tuple[type[Model], str], tuple[list, str, str, str]] = {}


def _statement(model: type[Model], alias: str) -> tuple[list, str, str, str]:
    key = (model, alias)
    if key not in _statements:
        quote = connections[alias].ops.quote_name
        fields = [field for field in model._meta.concrete_fields if field is not model._meta.auto_field]
        columns = ", ".join(quote(field.column) for field in fields)
        head = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "
        row = f"({', '.join(['%s'] * len(fields))})"
        _statements[key] = fields, head, row, f" RETURNING {quote(model._meta.pk.column)}"
    return _statements[key]
