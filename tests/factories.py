import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from events.models import Event, Question, Session
from organizations.models import Category, Membership, Organization, Venue


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("pw-for-tests-1")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    slug = factory.Sequence(lambda n: f"org-{n}")
    name = factory.LazyAttribute(lambda o: {"en": f"Org {o.slug}", "zh-hans": f"机构 {o.slug}"})
    contact_email = "hello@example.org"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.MANAGER


class VenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Venue

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: {"en": f"Room {n}", "zh-hans": f"{n}号室", "ja": f"{n}号室"})
    address = {"en": "1 Community Road", "zh-hans": "社区路1号"}
    latitude = Decimal("39.915000")
    longitude = Decimal("116.404000")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"cat-{n}")
    name = factory.LazyAttribute(lambda o: {"en": o.slug.title()})


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    kind = Event.Kind.EVENT
    slug = factory.Sequence(lambda n: f"event-{n}")
    default_language = "en"
    title = factory.Sequence(lambda n: {"en": f"Event {n}", "zh-hans": f"活动 {n}", "ja": f"イベント {n}"})
    summary = {"en": "A summary", "zh-hans": "简介"}
    spoken_languages = ["en", "zh-hans"]
    venue = factory.SubFactory(VenueFactory, organization=factory.SelfAttribute("..organization"))
    capacity = 50
    status = Event.Status.PUBLISHED

    @factory.post_generation
    def with_session(obj, create, extracted, **kwargs):
        """One session a week from now unless ``with_session=False``."""
        if create and extracted is not False:
            SessionFactory(event=obj)


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    event = factory.SubFactory(EventFactory, with_session=False)
    starts_at = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0) + dt.timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(hours=2))


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    event = factory.SubFactory(EventFactory)
    key = factory.Sequence(lambda n: f"q{n}")
    kind = Question.Kind.TEXT
    label = {"en": "Question", "zh-hans": "问题", "ja": "質問"}


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "registrations.Registration"
        skip_postgeneration_save = True

    event = factory.SubFactory(EventFactory)
    name = factory.Sequence(lambda n: f"Attendee {n}")
    email = factory.Sequence(lambda n: f"attendee{n}@example.org")
    language = "en"
    status = "confirmed"
    confirmed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def tickets(obj, create, extracted, **kwargs):
        """One ticket per seat, as the registration service makes them."""
        if create and extracted is not False:
            from registrations.models import Ticket

            for position in range(obj.party_size):
                name = obj.name if position == 0 else f"{obj.name} +{position}"
                Ticket.objects.get_or_create(registration=obj, position=position, defaults={"name": name})
        if create:
            # Rows made directly (not through the service): bring the event's seat counters in line.
            from registrations.services import event_recount

            event_recount(event_id=obj.event_id)


class TicketTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "events.TicketType"

    event = factory.SubFactory(EventFactory)
    name = factory.Sequence(lambda n: {"en": f"Type {n}", "zh-hans": f"票种 {n}", "ja": f"券種 {n}"})
    price = 0
    position = factory.Sequence(lambda n: n)


class PromoCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "events.PromoCode"
        skip_postgeneration_save = True

    organization = factory.LazyAttribute(lambda o: o.event.organization if o.event else OrganizationFactory())
    event = None
    code = factory.Sequence(lambda n: f"CODE{n}")
    discount = "percent"
    value = 10

    @factory.post_generation
    def unlocks(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.unlocks.set(extracted)


class CheckInFactory(factory.django.DjangoModelFactory):
    """A recorded "in" at the ticket's event's first session (pass ``ticket`` and ``session``)."""

    class Meta:
        model = "checkin.CheckIn"

    ticket = factory.LazyFunction(lambda: RegistrationFactory().tickets.get(position=0))
    registration = factory.LazyAttribute(lambda o: o.ticket.registration)
    session = factory.LazyAttribute(lambda o: o.ticket.registration.event.sessions.order_by("starts_at").first())
    scanned_at = factory.LazyFunction(timezone.now)
    nonce = factory.Faker("uuid4", cast_to=None)


# --- reach: subscribers and notices ---


class SubscriptionFactory(factory.django.DjangoModelFactory):
    """A confirmed subscriber of everything (pass confirmed_at=None for one still to confirm)."""

    class Meta:
        model = "notifications.Subscription"

    email = factory.Sequence(lambda n: f"reader{n}@example.org")
    language = "en"
    token = factory.Sequence(lambda n: f"test-token-{n:06d}-xxxxxxxxxxxxxxxxxxxx")
    notice_categories = factory.LazyFunction(lambda: ["policy", "service", "works", "safety", "event"])
    confirmed_at = factory.LazyFunction(timezone.now)


class NoticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "notifications.Notice"

    organization = factory.SubFactory(OrganizationFactory)
    category = "works"
    title = factory.LazyFunction(lambda: {"en": "Road works", "zh-hans": "道路施工", "ja": "道路工事"})
    body = factory.LazyFunction(lambda: {"en": "Closed.", "zh-hans": "封闭。", "ja": "通行止め。"})
    status = "published"
