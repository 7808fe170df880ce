"""Template filters of the privacy policy, for pages that name a record."""

from __future__ import annotations

from django import template

from mdm.privacy import policy as privacy

register = template.Library()


@register.filter
def record_name(record) -> str:
    """A source record's name as anyone may see it: a person's name masked."""
    attributes = getattr(record, "attributes", None) or {}
    name = privacy.plain(attributes.get("name", ""))
    return privacy.shown_name(getattr(record, "entity", ""), name or "", attributes)


@register.filter
def issue_value(issue) -> str:
    """A quality issue's value, masked when its element is personal."""
    return privacy.masked_issue_value(issue.entity, issue.element, issue.value or "")
