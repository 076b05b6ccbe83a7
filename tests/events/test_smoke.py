from events.models import Event
from tests.factories import EventFactory


def test_event_factory(db):
    event = EventFactory()
    assert event.sessions.count() == 1
    assert Event.objects.published().count() == 1
    assert event.t("title", "ja").startswith("イベント")
