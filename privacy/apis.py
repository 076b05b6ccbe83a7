"""The attendee's personal data through the API: download it, erase it (``/api/v1/registrations/<pk>/data/``,
mounted in the registrations API's namespace by ``backend/urls.py``)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from privacy import services
from registrations.apis import TOKEN_PARAM, registration_from_request
from registrations.models import Registration
from registrations.serializers import RegistrationSerializer


class RegistrationDataApi(APIView):
    """Your personal data in this registration: GET downloads it as JSON, DELETE erases it
    (an active registration of an event still to come is cancelled first). With the manage token
    or as the signed-in owner; organizers have their own views and the anonymisation action."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[TOKEN_PARAM], responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        registration = registration_from_request(request, pk, organizers=False)
        response = Response(services.registration_export(registration_id=registration.pk))
        response["Cache-Control"] = "private, no-store"
        response["Content-Disposition"] = f'attachment; filename="{services.export_filename(registration.pk)}"'
        return response

    @extend_schema(parameters=[TOKEN_PARAM], responses={200: RegistrationSerializer})
    def delete(self, request, pk: int):
        registration = registration_from_request(request, pk, organizers=False)
        services.registration_erase(registration_id=registration.pk)
        erased = Registration.objects.select_related("event").prefetch_related("tickets").get(pk=registration.pk)
        return Response(RegistrationSerializer(erased).data)
