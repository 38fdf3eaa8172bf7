import factory
from django.contrib.auth.models import Group, User

from inventory.models import Item, Location, Supplier


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    sku = factory.Sequence(lambda n: f"PART-{n:04d}")
    name = factory.Sequence(lambda n: f"Part number {n}")
    unit = "ea"


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    code = factory.Sequence(lambda n: f"LOC{n}")
    name = factory.Sequence(lambda n: f"Location {n}")


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    code = factory.Sequence(lambda n: f"SUP{n}")
    name = factory.Sequence(lambda n: f"Supplier {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))
