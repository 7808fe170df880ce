"""What one receiving system sees of a translated document (issue 32, item 5).

Applied once, when a delivery is translated (``services._relay``), so the inbox, the webhook
and the bus all carry the same filtered body:

1. References to an entity the receiver is not granted (``SourceSystem.granted_entities``)
   are left out.
2. With a ``DocumentGrant``, only its ``fields`` are kept (``"lines[].product"`` keeps the
   product of every line; empty: every field). Without one, every field (the default).
3. Personal fields are masked (the default) or left out (``personal = omit``). Which fields
   are personal is the privacy policy's rule (``mdm.privacy.policy``): a field named after a
   personal customer element (``phone``, ``contact_name``, ``address``…) or a person-name
   field, and any text shaped like personal data (a phone, an e-mail, a resident ID), as in
   logs and errors.
"""

from __future__ import annotations

from typing import Any

from dictionary.masking import mask_value
from mdm.documents.models import DocumentGrant, DocumentType
from mdm.models import SourceSystem
from mdm.privacy.policy import element_kind, redact_text

#: The entity whose personal elements name a document's personal fields (contacts, phones).
PERSONAL_ENTITY = "customers"


def grant_of(receiver: SourceSystem, doc_type: DocumentType) -> DocumentGrant | None:
    return DocumentGrant.objects.filter(receiver=receiver, type=doc_type).first()


def field_tree(paths: list[str]) -> dict[str, Any]:
    """``["customer", "lines[].product"]`` -> ``{"customer": True, "lines": {"product": True}}``."""
    tree: dict[str, Any] = {}
    for path in paths:
        node = tree
        parts = [p.removesuffix("[]") for p in str(path).split(".") if p]
        for index, part in enumerate(parts):
            if index == len(parts) - 1:
                node[part] = True
            else:
                child = node.get(part)
                if child is True:
                    break  # a parent is granted whole
                node = node.setdefault(part, {})
    return tree


def _keep(node: Any, tree: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_keep(item, tree) for item in node]
    if not isinstance(node, dict):
        return node
    kept = {}
    for key, value in node.items():
        sub = tree.get(key)
        if sub is True:
            kept[key] = value
        elif isinstance(sub, dict):
            kept[key] = _keep(value, sub)
    return kept


def _personal(node: Any, *, omit: bool, kinds: dict[str, str | None]) -> Any:
    if isinstance(node, list):
        return [_personal(item, omit=omit, kinds=kinds) for item in node]
    if not isinstance(node, dict):
        return node
    shown: dict[str, Any] = {}
    for key, value in node.items():
        if key not in kinds:
            kinds[key] = element_kind(PERSONAL_ENTITY, key)
        kind = kinds[key]
        if isinstance(value, dict | list):
            shown[key] = _personal(value, omit=omit, kinds=kinds)
        elif kind is not None and value not in (None, ""):
            if not omit:
                shown[key] = mask_value(kind, value)
        elif isinstance(value, str) and redact_text(value) != value:
            if not omit:
                shown[key] = redact_text(value)
        else:
            shown[key] = value
    return shown


def masked_document(payload: Any) -> Any:
    """A document as a steward sees it: every field of a personal element masked by its kind
    (a contact's name, an address), and any other value shaped like personal data masked by
    the policy's text rule (a phone written in a note)."""
    return _personal(payload, omit=False, kinds={})


def _drop_paths(payload: Any, paths: list[str]) -> None:
    """Remove the references at ``paths`` (``lines[1].product``) from the payload."""
    for path in paths:
        node: Any = payload
        parts = path.split(".")
        for part in parts[:-1]:
            if part.endswith("]"):
                name, index = part[:-1].split("[")
                node = node[name][int(index)]
            else:
                node = node[part]
        if isinstance(node, dict):
            node.pop(parts[-1], None)


def set_path(payload: Any, path: str, value: Any) -> None:
    """Set the value at ``path`` (``lines[1].product``) in a document."""
    node: Any = payload
    parts = path.split(".")
    for part in parts[:-1]:
        if part.endswith("]"):
            name, index = part[:-1].split("[")
            node = node[name][int(index)]
        else:
            node = node[part]
    node[parts[-1]] = value


def for_receiver(
    receiver: SourceSystem,
    doc_type: DocumentType,
    payload: dict[str, Any],
    references: dict[str, Any],
    ungranted_paths: list[str],
    grant: DocumentGrant | None = None,
    kinds: dict[str, str | None] | None = None,
) -> dict[str, Any]:
    """The sender's ``payload`` translated (``references``: path -> the receiver's code and
    the golden code) as ``receiver`` may see it (module doc); ``payload`` is left as it is.
    ``kinds``: the policy's answers so far (field name -> mask kind), shared over a batch.

    Personal fields are decided on the sender's fields, before the references are put in: a
    receiver's code is never mistaken for a phone number."""
    omit = grant is not None and grant.personal == DocumentGrant.OMIT
    shown = _personal(payload, omit=omit, kinds={} if kinds is None else kinds)  # a new tree
    for path, value in references.items():
        set_path(shown, path, value)
    _drop_paths(shown, ungranted_paths)
    if grant is not None and grant.fields:
        shown = _keep(shown, field_tree(grant.fields))
    return shown
