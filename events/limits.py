"""Lengths and counts the organizer API (events/serializers.py), the admin and the desk (organizer/forms.py)
both accept, so neither takes what the other refuses."""

TITLE_MAX_LENGTH = 200
SUMMARY_MAX_LENGTH = 500
DESCRIPTION_MAX_LENGTH = 20_000
NOTES_MAX_LENGTH = 2000
CHOICE_VALUE_MAX_LENGTH = 100
MAX_CHOICES = 100
MAX_QUESTIONS = 50  # registration questions per event
MAX_GENERATED_SESSIONS = 366  # one a day for a year
