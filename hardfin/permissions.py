"""The names of the permissions every door checks, in one place. Roles are groups that grant
them (``movements/roles.py``); doors check permissions, never group names, so superusers pass
too."""

#: Every role has it; a signed-in user without it sees no inventory.
VIEW_INVENTORY = "inventory.view_stocklevel"
EXPORT_INVENTORY = "inventory.export_stocklevel"
