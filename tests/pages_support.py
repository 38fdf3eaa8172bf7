"""Helpers for the page tests: read pages the way a person reads them (visible text, one
element at a time). Stock is set up with tests/stock.py and the fixtures of tests/conftest.py."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
#: Tags whose edges separate words, as a browser lays them out; inline tags do not.
BREAKING_TAGS = VOID_TAGS | {
    "body", "caption", "dd", "details", "div", "dl", "dt", "fieldset", "form", "h1", "h2", "h3", "header", "label",
    "legend", "li", "main", "nav", "option", "p", "section", "select", "summary", "table", "tbody", "td", "textarea",
    "th", "thead", "tr", "ul",
}


class _Elements(HTMLParser):
    """Collects the text of every element matching ``tag`` and ``attrs`` (a ``class`` value
    matches one of the element's classes), nested matches included."""

    def __init__(self, tag: str | None, attrs: dict[str, str]):
        super().__init__(convert_charrefs=True)
        self.tag, self.attrs = tag, attrs
        self.open: list[list] = []  # [tag, depth, pieces] per matching element still open
        self.depth = 0
        self.found: list[str] = []

    def _matches(self, tag, attrs) -> bool:
        if self.tag and tag != self.tag:
            return False
        attrs = dict(attrs)
        for name, wanted in self.attrs.items():
            value = attrs.get(name)
            if value is None:
                return False
            if name == "class" and wanted not in value.split():
                return False
            if name != "class" and value != wanted:
                return False
        return True

    def _break(self, tag):
        if tag in BREAKING_TAGS:
            self.handle_data(" ")

    def handle_starttag(self, tag, attrs):
        self._break(tag)
        if self._matches(tag, attrs):
            if tag in VOID_TAGS:
                self.found.append("")
            else:
                self.open.append([tag, self.depth, []])
        if tag not in VOID_TAGS:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in VOID_TAGS:
            return
        self.depth -= 1
        while self.open and self.open[-1][1] >= self.depth:
            _, _, pieces = self.open.pop()
            self.found.append(squash("".join(pieces)))
        self._break(tag)

    def handle_data(self, data):
        for element in self.open:
            element[2].append(data)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def html_of(response) -> str:
    return response.content.decode()


def texts(response_or_html, tag: str | None = None, **attrs) -> list[str]:
    """The visible text of each element matching ``tag`` and ``attrs``, in document order
    of their end tags. ``class_`` stands for ``class``; ``data_sku`` for ``data-sku``."""
    html = response_or_html if isinstance(response_or_html, str) else html_of(response_or_html)
    wanted = {name.rstrip("_").replace("_", "-"): value for name, value in attrs.items()}
    parser = _Elements(tag, wanted)
    parser.feed(html)
    parser.close()
    return parser.found


def text(response_or_html) -> str:
    """The whole page's visible text, whitespace collapsed."""
    return texts(response_or_html, "body")[0]


def csv_rows(response) -> list[list[str]]:
    """A CSV download, read back (the BOM dropped)."""
    content = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(content.removeprefix("\ufeff"))))


def field_errors(response) -> dict[str, list[str]]:
    """The errors shown next to each field, by field name (``lines-1-quantity`` on a line)."""
    return {
        match.group(1): texts(match.group(2), "li")
        for match in re.finditer(r'<ul class="errorlist" id="id_([\w-]+)_error">(.*?)</ul>', html_of(response), re.S)
    }


def lines_data(*lines: tuple[str, str], total: int = 5) -> dict[str, str]:
    """POST data of a receipt or build's lines formset; ``("", "")`` leaves a line blank."""
    data = {
        "lines-TOTAL_FORMS": str(total),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "50",
    }
    for index, (sku, quantity) in enumerate(lines):
        data[f"lines-{index}-sku"] = sku
        data[f"lines-{index}-quantity"] = quantity
    return data


def client_for(user):
    """A page client signed in as ``user``."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def code_field(response, name: str) -> tuple[str, list[str]]:
    """A location code box as a person sees it: what its text box holds and the codes its
    ``<datalist>`` suggests (the box must be a plain text input, which a scanner can fill)."""
    from html import unescape

    html = html_of(response)
    box = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', html).group(0)
    assert 'type="text"' in box, box
    value = re.search(r'\bvalue="([^"]*)"', box)
    list_id = re.search(r'\blist="([^"]+)"', box).group(1)
    listing = re.search(rf'<datalist id="{re.escape(list_id)}"[^>]*>(.*?)</datalist>', html, re.S).group(1)
    return (unescape(value.group(1)) if value else "", re.findall(r'<option value="([^"]*)"', listing))
