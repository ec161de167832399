import datetime

import factory
from django.contrib.auth.models import Group

from qoima.participants.models import HolderProfile, Organisation, Permit, Role, User

PASSWORD = "correct-horse-battery-9"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("identification_number",)

    kind = Organisation.Kind.LEGAL_ENTITY
    legal_name = factory.Sequence(lambda n: f"ТОО «Issuer {n}»")
    identification_number = "940140000385"


class PermitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Permit

    organisation = factory.SubFactory(OrganisationFactory)
    number = factory.Sequence(lambda n: f"P-{n:05d}")
    authority = "Ministry of Digital Development"
    issued_on = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=10))
    expires_on = factory.LazyAttribute(lambda p: p.issued_on + datetime.timedelta(days=3 * 365))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.kz")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=Role(extracted).value))
        if create:
            self.save()


class HolderProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HolderProfile

    user = factory.SubFactory(UserFactory, role=Role.HOLDER)
    kind = HolderProfile.Kind.INDIVIDUAL
    full_name = factory.Sequence(lambda n: f"Holder {n}")
    identification_number = "791028302728"


def make_user(role: Role, **kwargs):
    if role == Role.ISSUER_STAFF and "organisation" not in kwargs:
        kwargs["organisation"] = OrganisationFactory()
    return UserFactory(role=role, **kwargs)


def valid_iins(count: int, *, start: int = 0) -> list[str]:
    """``count`` distinct valid IINs (men born from 1980 on, serials in turn), skipping the
    first ``start``."""
    from qoima.participants.identifiers import check_digit

    numbers: list[str] = []
    day, seen = datetime.date(1980, 1, 1), 0
    while len(numbers) < count:
        for serial in range(10_000):
            digits = f"{day:%y%m%d}3{serial:04d}"
            control = check_digit(digits)
            if control is None:
                continue
            seen += 1
            if seen > start:
                numbers.append(f"{digits}{control}")
                if len(numbers) == count:
                    break
        day += datetime.timedelta(days=1)
    return numbers
