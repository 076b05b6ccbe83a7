"""PreparedModelSerializer builds its fields once per class and hands each instance its own copy."""

from rest_framework import serializers

from registrations.serializers import RegistrationSerializer
from tests.factories import RegistrationFactory


def test_same_fields_as_a_plain_model_serializer_each_instance_its_own(db):
    first, second = RegistrationSerializer(), RegistrationSerializer()
    built = serializers.ModelSerializer.get_fields(RegistrationSerializer())
    assert list(first.fields) == list(built)
    assert [type(f) for f in first.fields.values()] == [type(f) for f in built.values()]
    assert all(first.fields[name] is not second.fields[name] for name in first.fields)
    assert first.fields["status"].parent is first and second.fields["status"].parent is second


def test_the_prepared_serializer_renders_what_it_did(db):
    registration = RegistrationFactory()
    data = RegistrationSerializer(registration).data
    assert data["id"] == registration.pk and data["event"] == registration.event.slug
    assert data["email"] == registration.email and data["status"] == registration.status
    assert RegistrationSerializer(registration).data == data  # a second instance, from the kept fields
