"""Helpers the registration tests share."""


def url(event):
    return f"/api/v1/events/{event.slug}/registrations/"


def path_of(absolute: str) -> str:
    return "/" + absolute.split("://", 1)[1].split("/", 1)[1]


def token_of(body: dict) -> str:
    return body["manage_url"].rstrip("/").rsplit("/", 1)[1]
