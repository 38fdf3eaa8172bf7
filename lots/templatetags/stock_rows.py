"""The parts of the stock pages repeated for every row and every item, built here rather than
by an ``{% include %}``: a page shows hundreds of rows, and the includes' lookups, ``{% url %}``
and filters cost most of its rendering. The markup is that of the templates they replace.

- ``{% stock_row row %}``: an item-location row (a ``StockRow``) of the inventory, with its
  actions, and its lots in a group's own view;
- ``{% row_actions row %}``: the forms for one row, pre-filled with its item and location;
- ``{% item_actions sku code %}``: the forms for one item (and location, when known);
- ``{% quantity q %}``: a quantity, a negative one (open build shortfall) marked in words;
- ``{% sort_link key label %}``: a column header that sorts the inventory by ``key``.

Each form link is shown only to users who may use it (``can``, see
``movements.context_processors``).
"""

# What ``django.utils.html.escape`` calls, without its check for lazy strings: every value
# here is a plain string, and a page escapes thousands of them.
from html import escape
from urllib.parse import quote

from django import template
from django.template.defaulttags import querystring
from django.utils.safestring import mark_safe

from lots.display_rows import form_path

register = template.Library()

#: The movement forms, by the kind ``can`` names them.
FORMS = {
    "transfer": "movements:transfer",
    "receipt": "movements:receipt",
    "build": "movements:build",
    "replacement": "movements:replacement",
    "adjustment": "movements:adjustment",
}


def _forms(context) -> dict[str, str]:
    """The addresses of the forms the user may use, by kind: read once per page rendering."""
    forms = context.render_context.get("stock_rows.forms")
    if forms is None:
        can = context.get("can") or {}
        forms = {kind: escape(form_path(name)) for kind, name in FORMS.items() if can.get(kind)}
        context.render_context["stock_rows.forms"] = forms
    return forms


def _quantity(quantity) -> str:
    if quantity.is_negative:
        return (f'<span class="qty negative">{escape(str(quantity))}</span> '
                '<span class="badge badge-warning">Shortfall</span>')
    return f'<span class="qty">{escape(str(quantity))}</span>'


@register.simple_tag
def quantity(quantity):
    return mark_safe(_quantity(quantity))


def _row_actions(forms, row) -> str:
    # Transfer and Replace only where there is something to take (not on an empty row or an
    # open shortfall); Receive, Build and Replace behind "More", so a row stays one line on a
    # tablet.
    sku, name, query = escape(row.sku), escape(row.location_name), escape(row.query)
    positive = row.level.quantity > 0
    parts = ['<div class="row-actions">']
    if "transfer" in forms and positive:
        parts.append(f'<a class="button button-small" href="{forms["transfer"]}?{query}" '
                     f'aria-label="Transfer {sku} from {name}">Transfer</a>')
    if "adjustment" in forms:
        parts.append(f'<a class="button button-small" href="{forms["adjustment"]}?{query}" '
                     f'aria-label="Adjust {sku} at {name}">Adjust</a>')
    more = [
        f'<a href="{forms[kind]}?{query}" aria-label="{label} {sku} at {name}">{text}</a>'
        for kind, label, text in (
            ("receipt", "Receive", "Receive"),
            ("build", "Build with", "Build"),
            ("replacement", "Replace with", "Replace"),
        )
        if kind in forms and (positive or kind != "replacement")
    ]
    if more:
        parts.append('<details class="row-more">\n<summary class="button button-small button-quiet" '
                     f'aria-label="More for {sku} at {name}">More</summary>\n'
                     '<div class="row-more-menu">\n' + "\n".join(more) + "\n</div>\n</details>")
    parts.append("</div>")
    return "\n".join(parts)


@register.simple_tag(takes_context=True)
def row_actions(context, row):
    return mark_safe(_row_actions(_forms(context), row))


SHORTFALL = ("No units here: a build used more than was in stock. The next units to arrive settle this open "
             "shortfall first.")


@register.simple_tag(takes_context=True)
def stock_row(context, row):
    """By item, a row is named by its location; by location, by its item (SKU and name). In a
    group's own view (``single``) the row's lots follow it (``inventory/_lots.html``); in the
    list only the hint of an open shortfall."""
    by_item = context.get("view") == "item"
    if by_item:
        name = (f'<th scope="row" class="row-name">{escape(row.location_name)} '
                f'<span class="code">{escape(row.location_code)}</span></th>')
    else:
        name = (f'<th scope="row" class="row-name"><a href="{escape(row.item_url)}">{escape(row.sku)}</a></th>\n'
                f'<td class="muted">{escape(row.level.item.name)}</td>')
    parts = [
        f'<tbody class="stock-row{" negative-row" if row.negative else ""}" data-sku="{escape(row.sku)}" '
        f'data-location="{escape(row.location_code)}">\n<tr>\n{name}\n'
        f'<td class="num row-qty">{_quantity(row.quantity)}</td>\n'
        f'<td>{_row_actions(_forms(context), row)}</td>\n</tr>'
    ]
    colspan = "3" if by_item else "4"
    single = context.get("single")
    if single and row.lots:
        with context.push(row=row):
            lots = context.template.engine.get_template("inventory/_lots.html").render(context)
        parts.append(f'<tr class="lots-row">\n<td colspan="{colspan}">\n<details class="lots-toggle">\n'
                     f'<summary>Lots ({len(row.lots)}{"+" if row.more_lots else ""})</summary>\n{lots}\n'
                     '</details>\n</td>\n</tr>')
    elif single and not row.negative:
        filters = context.get("filters") or {}
        tick = "" if filters.get("show_empty") else " (tick “Show empty lots” to see consumed ones)"
        parts.append(f'<tr class="lots-row"><td colspan="{colspan}"><p class="hint">No lots with units here{tick}.</p>'
                     '</td></tr>')
    elif row.negative:
        parts.append(f'<tr class="lots-row"><td colspan="{colspan}"><p class="hint">{SHORTFALL}</p></td></tr>')
    parts.append("</tbody>")
    return mark_safe("\n".join(parts))


#: The forms an item offers, in the order of its buttons.
ITEM_FORMS = (("transfer", "Transfer"), ("receipt", "Receive"), ("build", "Build"), ("replacement", "Replace"),
              ("adjustment", "Adjust"))


@register.simple_tag(takes_context=True)
def item_actions(context, sku, code=""):
    forms = _forms(context)
    # Quoted as the ``urlencode`` filter quotes.
    query = f"sku={quote(str(sku), safe='/')}"
    if code:
        query += f"&amp;location={quote(str(code), safe='/')}"
    links = [
        f'<a class="button button-small" href="{forms[kind]}?{query}">{text}</a>'
        for kind, text in ITEM_FORMS
        if kind in forms
    ]
    return mark_safe('<p class="header-links item-actions">\n' + "\n".join(links) + "\n</p>")


@register.simple_tag(takes_context=True)
def sort_link(context, key, label):
    """Ascending first, then descending; the same for every group of a page, so built once."""
    links = context.render_context.setdefault("stock_rows.sort_links", {})
    if (key, label) not in links:
        sort = context.get("sort")
        href = querystring(context, sort=f"-{key}" if sort == key else key, cursor=None, page=None)
        if sort == key:
            mark = ' <span aria-hidden="true">▲</span><span class="visually-hidden">(ascending)</span>'
        elif sort == f"-{key}":
            mark = ' <span aria-hidden="true">▼</span><span class="visually-hidden">(descending)</span>'
        else:
            mark = ""
        links[key, label] = mark_safe(f'<a class="sort-link" href="{escape(href)}">{escape(label)}{mark}</a>')
    return links[key, label]
