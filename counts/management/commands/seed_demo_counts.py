"""The counts part of the demo (``bin/run`` runs it after ``seed_demo``): reorder points, some
of them low, a posted count with its corrections and an open count half done, so the Low
stock, Counts, count sheet and review pages have something to show.

It lives here, not in ``seed_demo``: the movements app that owns ``seed_demo`` sits below counts
and may not import it. Safe to repeat: it loads once, after the demo data of ``seed_demo`` (it
recognises its own posted count by its note), and does nothing on a database without them."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from counts.models import Count
from counts.selectors import items_to_count
from counts.services import count_enter, count_post, count_start, reorder_point_create
from inventory.models import Item, Location, StockLevel

#: The notes the demo's counts carry; the posted one marks the demo as loaded.
POSTED_NOTE = "Demo: quarterly count of the Indianapolis warehouse"
OPEN_NOTE = "Demo: cycle count of Milwaukee, aisle 1"
#: How many of the open count's lines are already counted.
OPEN_COUNTED = 5


class Command(BaseCommand):
    help = "Add the counts demo (reorder points, a posted and an open count) to the seed_demo data."

    def handle(self, *args, **options):
        User = get_user_model()
        users = {user.username: user for user in User.objects.filter(username__in=["manager", "operator"])}
        if len(users) < 2 or not Item.objects.filter(sku__iexact="LDR-4.1").exists():
            self.stdout.write("No seed_demo data here: run seed_demo first; no counts demo loaded.")
            return
        if Count.objects.filter(note=POSTED_NOTE).exists():
            self.stdout.write("The counts demo is already loaded.")
            return
        with transaction.atomic():
            loaded = CountsDemo(users["manager"], users["operator"]).load()
        self.stdout.write(self.style.SUCCESS(loaded))


class CountsDemo:
    def __init__(self, manager, operator):
        self.manager, self.operator = manager, operator
        self.locations = {location.code: location for location in Location.objects.all()}

    def load(self) -> str:
        points = self.reorder_points()
        posted = self.posted_count()
        open_count = self.open_count()
        corrections = posted.lines.filter(adjustment__isnull=False).count()
        return (f"Loaded the counts demo: {points} reorder points, count {posted.pk} posted "
                f"({corrections} corrections), count {open_count.pk} open.")

    def reorder_points(self) -> int:
        """Minimums at the warehouses: most item-locations comfortably above theirs, about a
        third below (the Low stock page), and one that never held stock."""
        made = 0
        levels = (StockLevel.objects.filter(location__code__in=["CHI", "IND"], quantity__gt=0)
                  .exclude(item__fractional=True).select_related("item", "location").order_by("item__sku", "location__code"))
        for n, level in enumerate(levels[:24]):
            low = n % 3 == 0
            minimum = int(level.quantity * Decimal("1.3")) + 5 if low else max(1, int(level.quantity * Decimal("0.4")))
            target = minimum * 2 if n % 4 else None
            reorder_point_create(item=level.item, location=level.location, minimum=minimum, target=target,
                                 user=self.manager)
            made += 1
        never = Item.objects.exclude(stock_levels__location=self.locations["DET"]).order_by("sku").first()
        if never is not None:
            reorder_point_create(item=never, location=self.locations["DET"], minimum=4, target=10, user=self.manager)
            made += 1
        return made

    def posted_count(self) -> Count:
        """A count of Indianapolis, every line counted — most match, a few are off — and posted."""
        location = self.locations["IND"]
        count = count_start(location=location, user=self.manager, note=POSTED_NOTE)
        levels = dict(StockLevel.objects.filter(location=location).values_list("item_id", "quantity"))
        entries = []
        for n, line in enumerate(count.lines.select_related("item").order_by("item__sku")):
            have = levels.get(line.item_id, Decimal(0))
            off = {2: 3, 5: -2, 9: -1, 13: 1}.get(n, 0) if not line.item.fractional else 0
            entries.append((line.item, max(Decimal(0), have + off)))
        count_enter(count=count, entries=entries, user=self.operator)
        return count_post(count=count, user=self.manager)

    def open_count(self) -> Count:
        """A count of Milwaukee's first dozen items, a few counted so far (one short)."""
        location = self.locations["MKE"]
        items = list(items_to_count(location)[:12])
        count = count_start(location=location, user=self.manager, items=items, note=OPEN_NOTE)
        levels = dict(StockLevel.objects.filter(location=location).values_list("item_id", "quantity"))
        entries = [(item, max(Decimal(0), levels.get(item.id, Decimal(0)) - (1 if n == 1 else 0)))
                   for n, item in enumerate(items[:OPEN_COUNTED])]
        count_enter(count=count, entries=entries, user=self.operator)
        return count
