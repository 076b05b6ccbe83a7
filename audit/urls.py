from django.urls import path

from audit import apis

urlpatterns = [
    path("", apis.AuditEntryListApi.as_view(), name="audit-list"),
]
