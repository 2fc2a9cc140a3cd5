"""factory_boy factories. Child objects stay in their parent's organisation."""

import factory
from factory.django import DjangoModelFactory

from roles import models as m


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = m.Organisation
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Bolag {n} AB")
    slug = factory.Sequence(lambda n: f"bolag-{n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = m.User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name", locale="sv_SE")
    password = factory.PostGenerationMethodCall("set_password", "pw-secret-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = m.Person

    org = factory.SubFactory(OrganisationFactory)
    name = factory.Faker("name", locale="sv_SE")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    access = m.Person.MEMBER
    user = None


class FunctionFactory(DjangoModelFactory):
    class Meta:
        model = m.Function

    org = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Funktion {n}")


class HatFactory(DjangoModelFactory):
    class Meta:
        model = m.Hat

    function = factory.SubFactory(FunctionFactory)
    org = factory.SelfAttribute("function.org")
    title = factory.Sequence(lambda n: f"Hatt {n}")
    purpose = "Att göra nytta."


class KPIFactory(DjangoModelFactory):
    class Meta:
        model = m.KPI

    hat = factory.SubFactory(HatFactory)
    name = factory.Sequence(lambda n: f"KPI {n}")
    target = "10"
    unit = "st"
    period = "vecka"


class AreaFactory(DjangoModelFactory):
    class Meta:
        model = m.Area

    org = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Område {n}")
    position = factory.Sequence(lambda n: n)


class TaskFactory(DjangoModelFactory):
    class Meta:
        model = m.Task

    area = factory.SubFactory(AreaFactory)
    org = factory.SelfAttribute("area.org")
    name = factory.Sequence(lambda n: f"Uppgift {n}")
    position = factory.Sequence(lambda n: n)


class ResponsibilityFactory(DjangoModelFactory):
    class Meta:
        model = m.Responsibility

    task = factory.SubFactory(TaskFactory)
    org = factory.SelfAttribute("task.org")
    hat = factory.SubFactory(HatFactory, function__org=factory.SelfAttribute("...org"))
    letter = "R"


class AssignmentFactory(DjangoModelFactory):
    class Meta:
        model = m.Assignment

    hat = factory.SubFactory(HatFactory)
    org = factory.SelfAttribute("hat.org")
    person = factory.SubFactory(PersonFactory, org=factory.SelfAttribute("..org"))
    share = None
