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


def test_plain_fields_are_copied_nesting_ones_made_again_and_each_copy_binds_to_its_own():
    from registrations.serializers import RegistrationInputSerializer

    first, second = RegistrationInputSerializer(), RegistrationInputSerializer()
    assert list(first.fields) == list(RegistrationInputSerializer._declared_fields)
    for name in first.fields:
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first and first.fields[name].field_name == name
    guests_child = first.fields["guests"].child
    assert guests_child is not second.fields["guests"].child  # a list's child belongs to its own list
    assert guests_child.parent is first.fields["guests"] and guests_child.root is first


def test_prepared_input_validates_as_before(db):
    from registrations.serializers import RegistrationInputSerializer

    bad = RegistrationInputSerializer(data={"email": "not-an-email", "guests": "Li Na", "consents": {"x": 1}})
    assert not bad.is_valid()
    assert set(bad.errors) >= {"email", "guests", "consents"}
    good = RegistrationInputSerializer(data={"name": "Li Na", "email": "li@example.org", "consents": {"privacy": True}})
    assert good.is_valid(), good.errors
    assert good.validated_data["email"] == "li@example.org" and good.validated_data["guests"] == []
