"""The starter document types (DESIGN.md "Business documents (v1)"), loaded by a migration."""

from __future__ import annotations

STARTER_TYPES = [
    {
        "code": "sales_order",
        "name": "销售订单 sales order",
        "references": {"customer": "customers", "lines[].product": "products"},
        "states": ["scheduled", "shipped", "delivered", "closed"],
    },
    {
        "code": "delivery",
        "name": "出库单 delivery",
        "references": {
            "customer": "customers",
            "lines[].product": "products",
            "lines[].material": "materials",
        },
        "states": ["shipped", "delivered"],
    },
    {
        "code": "service_ticket",
        "name": "售后工单 service ticket",
        "references": {"customer": "customers", "product": "products"},
        "states": ["in_progress", "resolved", "surveyed", "closed"],
    },
]


def ensure_starter_document_types(document_type_model) -> None:
    """Create the starter types that do not exist (a site's own edits are kept)."""
    for spec in STARTER_TYPES:
        document_type_model.objects.get_or_create(code=spec["code"], defaults=spec)
