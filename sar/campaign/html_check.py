"""The HTML report's self-check: a page that could run or load anything is refused.

Every tag and attribute is read as a browser would (html.parser), so markup that
escaping failed to neutralise is caught before the page leaves `sar.campaign.html`.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Namespace names matplotlib's SVG declares; identifiers, never fetched.
ALLOWED_URLS = ("http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink")


class _Audit(HTMLParser):
    """Every tag and attribute of the page, as a browser would see them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "object", "embed", "img", "link", "base", "form",
                   "frame", "image", "foreignobject"):
            self.problems.append(f"<{tag}> element")
        self._in_style = tag == "style"
        for name, value in attrs:
            value = value or ""
            squeezed = re.sub(r"[\s\x00-\x1f]", "", value).lower()
            if name.startswith("on"):
                self.problems.append(f"event handler {name}")
            if "javascript:" in squeezed or "vbscript:" in squeezed:
                self.problems.append(f"script URL in {name}")
            if name in ("href", "xlink:href", "src", "action", "formaction", "srcset") \
                    and not value.startswith("#"):
                self.problems.append(f"reference in {name}")
            self._urls(value, f"attribute {name}")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self._urls(data, "style")
            if "@import" in data.lower():
                self.problems.append("@import in style")

    def _urls(self, text, where):
        for url in re.findall(r"(?i)(?:https?:)?//[^\s\"')]+", text):
            if url not in ALLOWED_URLS:
                self.problems.append(f"URL {url} in {where}")
        for target in re.findall(r"(?i)url\(\s*['\"]?([^'\")\s]*)", text):
            if not target.startswith("#"):
                self.problems.append(f"url({target}) in {where}")


def check_page(page: str) -> None:
    """Raise RuntimeError unless the page can run nothing and load nothing."""
    problems = []
    if "<script" in page.lower():
        problems.append("<script")
    audit = _Audit()
    audit.feed(page)
    audit.close()
    problems += audit.problems
    if problems:
        raise RuntimeError("the HTML report failed its safety check: "
                           + "; ".join(sorted(set(problems))))
