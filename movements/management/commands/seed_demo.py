"""A realistic demo data set, loaded through the services like any other work.

Idempotent: it creates the demo users whenever they are missing, and loads the catalog and
four months of history only once (it recognises the LDR-4.1 story)."""

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from inventory.models import Item, Location, StockLevel, Supplier
from inventory.services import item_create, location_create, supplier_create
from lots.models import Batch
from movements.services import (
    Line,
    adjustment_create,
    build_create,
    receipt_create,
    replacement_create,
    transfer_create,
)

#: (username, group, is_staff) — all share DEMO_PASSWORD; for local demos only.
DEMO_USERS = [
    ("operator", "Operators", False),
    ("manager", "Managers", True),
    ("accountant", "Accountants", True),
]
DEMO_SUPERUSER = "admin"
DEMO_PASSWORD = "hardfin-demo"

LOCATIONS = [
    ("CHI", "Chicago Warehouse"),
    ("MKE", "Milwaukee Operations Center"),
    ("IND", "Indianapolis Warehouse"),
    ("DET", "Detroit Service Depot"),
    ("VAN-07", "Field Van 7"),
]
SUPPLIERS = [
    ("NORTHWIND", "Northwind Components"),
    ("VOLTEX", "Voltex Electronics"),
    ("GRIDLINE", "Gridline Industrial Supply"),
]
#: (sku, name, unit, fractional)
ITEMS = [
    ("LDR-4.1", "Lidar unit 4.1", "ea", False),
    ("LDR-5.0", "Lidar unit 5.0", "ea", False),
    ("CAM-IR-2", "Infrared camera module, gen 2", "ea", False),
    ("GPS-RTK-3", "RTK GPS receiver", "ea", False),
    ("IMU-9X", "Nine-axis IMU board", "ea", False),
    ("BAT-LI-48V", "Li-ion battery pack 48 V 20 Ah", "ea", False),
    ("BAT-LI-24V", "Li-ion battery pack 24 V 10 Ah", "ea", False),
    ("CHG-48-10A", "Battery charger 48 V 10 A", "ea", False),
    ("MTR-BLDC-750", "Brushless DC motor 750 W", "ea", False),
    ("ESC-80A", "Motor controller 80 A", "ea", False),
    ("CBL-CAT6", "Cat6 shielded cable", "m", True),
    ("CBL-PWR-10AWG", "Power cable 10 AWG, two-core", "m", True),
    ("CBL-FO-SM", "Single-mode fibre, outdoor", "m", True),
    ("CON-M12-8P", "M12 connector, 8-pin, A-coded", "ea", False),
    ("CON-XT60", "XT60 connector pair", "ea", False),
    ("CON-RJ45-SH", "RJ45 plug, shielded", "ea", False),
    ("BLT-M6-20", "Hex bolt M6 x 20, stainless", "ea", False),
    ("BLT-M8-30", "Hex bolt M8 x 30, stainless", "ea", False),
    ("NUT-M6", "Lock nut M6, stainless", "ea", False),
    ("NUT-M8", "Lock nut M8, stainless", "ea", False),
    ("WSH-M6", "Washer M6, stainless", "ea", False),
    ("SCR-M3-8", "Machine screw M3 x 8", "ea", False),
    ("BRK-AL-90", "Aluminium bracket, 90 degree", "ea", False),
    ("BRK-ST-MNT", "Steel mounting plate", "ea", False),
    ("ENC-IP67-S", "IP67 enclosure, small", "ea", False),
    ("ENC-IP67-L", "IP67 enclosure, large", "ea", False),
    ("FAN-80-24V", "Cooling fan 80 mm 24 V", "ea", False),
    ("FLT-AIR-G4", "Air filter G4", "ea", False),
    ("PCB-CTRL-R3", "Controller board rev 3", "ea", False),
    ("PCB-PWR-R2", "Power distribution board rev 2", "ea", False),
    ("SNS-TMP-PT100", "PT100 temperature probe", "ea", False),
    ("SNS-PRS-10B", "Pressure sensor 0-10 bar", "ea", False),
    ("SNS-HUM-2", "Humidity sensor", "ea", False),
    ("RLY-24V-10A", "Relay 24 V 10 A", "ea", False),
    ("FUS-10A", "Blade fuse 10 A", "ea", False),
    ("FUS-20A", "Blade fuse 20 A", "ea", False),
    ("LED-IND-GRN", "Panel indicator LED, green", "ea", False),
    ("SW-ETH-8P", "Industrial Ethernet switch, 8 ports", "ea", False),
    ("RTR-LTE-4", "LTE router, cat 4", "ea", False),
    ("ANT-LTE-MIMO", "LTE MIMO antenna", "ea", False),
    ("SSD-512-IND", "Industrial SSD 512 GB", "ea", False),
    ("CPU-MOD-X5", "Compute module X5", "ea", False),
    ("GSK-ENC-S", "Enclosure gasket, small", "ea", False),
    ("SEAL-SIL-300", "Silicone sealant 300 ml", "ea", False),
    ("GRS-LITH-400", "Lithium grease 400 g", "ea", False),
    ("TAP-ELEC-19", "Electrical tape 19 mm", "ea", False),
    ("TIE-CBL-200", "Cable ties 200 mm, pack of 100", "ea", False),
    ("HSK-6MM", "Heat-shrink tubing 6 mm", "m", True),
    ("WIRE-22AWG-RED", "Hook-up wire 22 AWG, red", "m", True),
    ("OIL-GEAR-1L", "Gear oil", "l", True),
    ("BRG-6204", "Ball bearing 6204-2RS", "ea", False),
    ("BLT-DRV-HTD5", "Drive belt HTD 5M", "ea", False),
    ("KIT-SNS-MNT", "Sensor mounting kit", "ea", False),
]
#: A realistic list price per SKU (USD-like money); receipts vary around it.
LIST_PRICES = {
    "LDR-4.1": "1840.00", "LDR-5.0": "2390.00", "CAM-IR-2": "612.00", "GPS-RTK-3": "845.00", "IMU-9X": "138.50",
    "BAT-LI-48V": "689.00", "BAT-LI-24V": "214.00", "CHG-48-10A": "182.00", "MTR-BLDC-750": "246.00",
    "ESC-80A": "94.75", "CBL-CAT6": "1.85", "CBL-PWR-10AWG": "3.40", "CBL-FO-SM": "2.15", "CON-M12-8P": "11.60",
    "CON-XT60": "1.45", "CON-RJ45-SH": "0.92", "BLT-M6-20": "0.18", "BLT-M8-30": "0.31", "NUT-M6": "0.07",
    "NUT-M8": "0.11", "WSH-M6": "0.03", "SCR-M3-8": "0.04", "BRK-AL-90": "4.20", "BRK-ST-MNT": "12.80",
    "ENC-IP67-S": "23.50", "ENC-IP67-L": "58.00", "FAN-80-24V": "9.40", "FLT-AIR-G4": "6.75",
    "PCB-CTRL-R3": "312.00", "PCB-PWR-R2": "148.00", "SNS-TMP-PT100": "18.90", "SNS-PRS-10B": "46.00",
    "SNS-HUM-2": "14.30", "RLY-24V-10A": "5.60", "FUS-10A": "0.22", "FUS-20A": "0.24", "LED-IND-GRN": "1.10",
    "SW-ETH-8P": "265.00", "RTR-LTE-4": "389.00", "ANT-LTE-MIMO": "72.00", "SSD-512-IND": "118.00",
    "CPU-MOD-X5": "455.00", "GSK-ENC-S": "1.95", "SEAL-SIL-300": "7.80", "GRS-LITH-400": "9.95",
    "TAP-ELEC-19": "1.35", "TIE-CBL-200": "4.60", "HSK-6MM": "0.48", "WIRE-22AWG-RED": "0.21",
    "OIL-GEAR-1L": "12.40", "BRG-6204": "3.70", "BLT-DRV-HTD5": "16.20", "KIT-SNS-MNT": "38.00",
}
#: The share of receipt lines whose invoice has not come yet (cost unknown).
UNKNOWN_COST_SHARE = 0.06
WAREHOUSES = ["CHI", "IND"]
SITES = ["MKE", "DET", "VAN-07"]


class Command(BaseCommand):
    help = "Load demo data (the LDR-4.1 story, 50+ items, four months of history) and demo users."

    def handle(self, *args, **options):
        users = self._users()
        if Item.objects.filter(sku__iexact="LDR-4.1").exists():
            self.stdout.write("Demo data is already loaded; demo users are in place.")
            return
        with transaction.atomic():
            DemoHistory(users, random.Random(4_1)).load()
        self.stdout.write(self.style.SUCCESS(
            f"Loaded {Item.objects.count()} items, {Location.objects.count()} locations and "
            f"{Supplier.objects.count()} suppliers with their history. Sign in as "
            f"{', '.join(name for name, _, _ in DEMO_USERS)} or {DEMO_SUPERUSER} (password {DEMO_PASSWORD})."
        ))

    def _users(self):
        User = get_user_model()
        users = {}
        for username, group, is_staff in DEMO_USERS:
            user, created = User.objects.get_or_create(username=username, defaults={"is_staff": is_staff})
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
                user.groups.add(Group.objects.get(name=group))
            users[group] = user
        if not User.objects.filter(username=DEMO_SUPERUSER).exists():
            User.objects.create_superuser(DEMO_SUPERUSER, email="", password=DEMO_PASSWORD)
        return users


class DemoHistory:
    """Four months of plausible work, oldest first, every step through the services."""

    DAYS = 120

    def __init__(self, users, rng: random.Random):
        self.operator = users["Operators"]
        self.manager = users["Managers"]
        self.rng = rng
        self.clock = timezone.now() - timedelta(days=self.DAYS)
        self.po = 24_100
        # Prices have their own random sequence, so the history itself stays as it was.
        self.prices = random.Random(12_50)

    def tick(self, hours: float):
        """Advance the demo clock; the steps spread the history over about four months."""
        self.clock += timedelta(hours=hours * 1.8)
        return self.clock

    def load(self):
        self.locations = {code: location_create(code=code, name=name) for code, name in LOCATIONS}
        self.suppliers = {code: supplier_create(code=code, name=name) for code, name in SUPPLIERS}
        self.items = {
            sku: item_create(sku=sku, name=name, unit=unit, fractional=fractional)
            for sku, name, unit, fractional in ITEMS
        }
        self.worked_example()
        others = [item for sku, item in self.items.items() if sku != "LDR-4.1"]
        for item in others:  # opening stock at the warehouses
            self.receive(self.rng.choice(WAREHOUSES), [(item, self.amount(item, 40, 400))])
        for _ in range(260):
            self.rng.choice(
                [self.receive_random, self.transfer_random, self.transfer_random, self.build_random,
                 self.replace_random, self.adjust_random]
            )()
        self.shortfalls()

    # -- the story of DESIGN.md ---------------------------------------------------------------
    def worked_example(self):
        ldr, chi, mke = self.items["LDR-4.1"], self.locations["CHI"], self.locations["MKE"]
        self.receive("CHI", [(ldr, 100)], supplier="NORTHWIND")
        transfer_create(item=ldr, source=chi, destination=mke, quantity=25, user=self.operator,
                        occurred_at=self.tick(30))
        self.receive("CHI", [(ldr, 200)], supplier="NORTHWIND")
        transfer_create(item=ldr, source=chi, destination=mke, quantity=120, user=self.operator,
                        occurred_at=self.tick(30))

    # -- helpers ------------------------------------------------------------------------------
    def amount(self, item, low, high):
        if item.fractional:
            return Decimal(self.rng.randint(low * 10, high * 10)) / 10
        return self.rng.randint(low, high)

    def receive(self, location, lines, supplier=None):
        self.po += 1
        receipt_create(
            supplier=self.suppliers[supplier or self.rng.choice(list(self.suppliers))],
            location=self.locations[location],
            po_number=f"PO-{self.po}",
            shipment_number=f"SH-{self.po}-{self.rng.randint(1, 3)}",
            lines=[Line(item, quantity, self.unit_cost(item)) for item, quantity in lines],
            user=self.operator,
            occurred_at=self.tick(self.rng.uniform(2, 8)),
        )

    def unit_cost(self, item):
        """The list price give or take 8%, to the cent; a few lines are left unknown (the
        invoice is still due). The two LDR-4.1 receipts of the story are priced exactly."""
        if item.sku == "LDR-4.1":
            return Decimal("1840.00") if not Batch.objects.filter(item=item).exists() else Decimal("1912.50")
        if self.prices.random() < UNKNOWN_COST_SHARE:
            return None
        price = Decimal(LIST_PRICES[item.sku]) * Decimal(str(round(self.prices.uniform(0.92, 1.08), 3)))
        return max(Decimal("0.01"), price.quantize(Decimal("0.0001")))

    def stocked(self, location_codes=None, minimum=1):
        """A random (stock level) with at least ``minimum`` units, LDR-4.1 left alone."""
        levels = StockLevel.objects.filter(quantity__gte=minimum).exclude(item__sku="LDR-4.1")
        if location_codes:
            levels = levels.filter(location__code__in=location_codes)
        levels = list(levels.select_related("item", "location").order_by("id"))
        return self.rng.choice(levels) if levels else None

    def part_of(self, level, share=0.5):
        top = level.quantity * Decimal(str(share))
        if level.item.fractional:
            return max(Decimal("0.5"), (top * Decimal(self.rng.random())).quantize(Decimal("0.1")))
        return max(1, int(top * Decimal(self.rng.random())))

    # -- the day-to-day -----------------------------------------------------------------------
    def receive_random(self):
        items = self.rng.sample([i for s, i in self.items.items() if s != "LDR-4.1"], self.rng.randint(1, 4))
        self.receive(self.rng.choice(WAREHOUSES), [(item, self.amount(item, 20, 200)) for item in items])

    def transfer_random(self):
        level = self.stocked(WAREHOUSES + SITES, minimum=2)
        if level is None:
            return
        destination = self.rng.choice([loc for code, loc in self.locations.items() if code != level.location.code])
        transfer_create(item=level.item, source=level.location, destination=destination,
                        quantity=self.part_of(level, 0.7), user=self.operator,
                        reference=f"WO-{self.rng.randint(1000, 9999)}", occurred_at=self.tick(self.rng.uniform(1, 6)))

    def build_random(self):
        level = self.stocked(["MKE", "DET", "CHI"], minimum=2)
        if level is None:
            return
        build_create(location=level.location, reference=f"ASM-{self.rng.randint(100, 999)}",
                     lines=[Line(level.item, self.part_of(level, 0.3))], user=self.operator,
                     occurred_at=self.tick(self.rng.uniform(1, 6)))

    def replace_random(self):
        level = self.stocked(SITES, minimum=1)
        if level is None:
            return
        replacement_create(item=level.item, location=level.location, quantity=self.part_of(level, 0.2),
                           asset=f"TURBINE-{self.rng.randint(1, 60):03d}", user=self.operator,
                           occurred_at=self.tick(self.rng.uniform(1, 6)))

    def adjust_random(self):
        level = self.stocked(minimum=3)
        if level is None:
            return
        direction = self.rng.choice(["up", "down", "down"])
        reason = self.rng.choice(["found", "count_correction"] if direction == "up" else ["damaged", "lost", "expired"])
        adjustment_create(item=level.item, location=level.location, direction=direction,
                          quantity=self.part_of(level, 0.1), reason=reason, user=self.manager,
                          note="Cycle count", occurred_at=self.tick(self.rng.uniform(4, 12)))

    # -- build shortfalls: one settled, one still open ----------------------------------------
    def shortfalls(self):
        det, mke = self.locations["DET"], self.locations["MKE"]
        fan, gasket = self.items["FAN-80-24V"], self.items["GSK-ENC-S"]
        for item, location in ((fan, mke), (gasket, det)):
            level = StockLevel.objects.filter(item=item, location=location).first()
            have = level.quantity if level else 0
            build_create(location=location, reference=f"ASM-{location.code}-SHORT", allow_shortfall=True,
                         lines=[Line(item, have + 6)], user=self.operator, occurred_at=self.tick(3),
                         note="Assembled before the parts were booked in")
        # The fans arrive at Milwaukee and settle that shortfall; Detroit's gaskets are still due.
        source = StockLevel.objects.filter(item=fan, quantity__gte=6).exclude(location=mke).first()
        if source:
            transfer_create(item=fan, source=source.location, destination=mke, quantity=6, user=self.operator,
                            occurred_at=self.tick(5))
        else:
            self.receive("MKE", [(fan, 10)])
