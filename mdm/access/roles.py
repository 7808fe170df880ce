"""The roles (groups) and their permissions. Used by the roles migrations and by test setup.

* ``data_viewer`` reads the hub and the dictionary (personal data masked);
* ``data_steward`` also works the data: source and golden records, code values, data elements
  and bindings, but never an element's sensitivity, nor users;
* ``auditor`` reads the audit log and the change history only (no current data, no writes);
* ``mdm_admin`` does everything, and alone may see unmasked personal data (``view_personal_data``,
  each use audited) and change an element's sensitivity.

Source systems are no role: each has its service account, which reads and writes its own records
of the entities it is granted (``SourceSystem.granted_entities``, see ``mdm.access.permissions``).
"""

from __future__ import annotations

HUB_MODELS = (
    "customer",
    "product",
    "material",
    "sourcerecord",
    "sourcesystem",
    "crosswalkgrant",
    "event",
    "qualityissue",
    "qualitysnapshot",
    "jobrun",
    "operationsminute",
)
MATCHING_MODELS = ("matchcandidate", "matchruleconfig", "matchrulerollout")
DICTIONARY_MODELS = ("dataelement", "valuedomain", "codevalue", "elementbinding", "entitytype")
#: Change history (django-simple-history) of the tracked models, as the auditor reads it.
HISTORY_MODELS = (
    ("mdm", "historicalcustomer"),
    ("mdm", "historicalproduct"),
    ("mdm", "historicalmaterial"),
    ("mdm", "historicalsourcerecord"),
    ("mdm", "historicalsourcesystem"),
    ("mdm", "historicalcrosswalkgrant"),
    ("dictionary", "historicaldataelement"),
    ("dictionary", "historicalelementbinding"),
    ("dictionary", "historicalvaluedomain"),
    ("dictionary", "historicalcodevalue"),
)
VIEW_PERSONAL_DATA = ("mdm", "view_personal_data")
CHANGE_SENSITIVITY = ("dictionary", "change_dataelement_sensitivity")
ROLES = ("mdm_admin", "data_steward", "data_viewer", "auditor")
#: The roles whose admin index lists the change-history tables (others reach a record's history
#: from the record's own page).
HISTORY_READERS = ("auditor", "mdm_admin")


def reads_change_history(user) -> bool:
    """Whether ``user`` works from the change-history tables (an auditor or an mdm_admin)."""
    if not user.is_active:
        return False
    return user.is_superuser or user.groups.filter(name__in=HISTORY_READERS).exists()


def role_permissions() -> dict[str, list[tuple[str, str]]]:
    """Role -> [(app_label, codename)]: least privilege for each role."""
    every = (
        [("mdm", m) for m in HUB_MODELS]
        + [("dictionary", m) for m in DICTIONARY_MODELS]
        + [("matching", m) for m in MATCHING_MODELS]
    )
    viewer = [(app, f"view_{m}") for app, m in every]
    steward = viewer + [
        ("mdm", f"change_{m}") for m in ("customer", "product", "material", "sourcerecord")
    ]
    steward += [
        ("mdm", "add_sourcerecord"),
        ("dictionary", "add_codevalue"),
        ("dictionary", "change_codevalue"),
        # The dictionary's definitions and survivorship rules; sensitivity stays read-only.
        ("dictionary", "change_dataelement"),
        ("dictionary", "change_elementbinding"),
        # The review queue and the data-quality issues they work off.
        ("matching", "change_matchcandidate"),
        ("mdm", "change_qualityissue"),
    ]
    history = [(app, f"view_{m}") for app, m in HISTORY_MODELS]
    auditor = [("mdm", "view_auditlog"), ("admin", "view_logentry"), *history]
    admin = [(app, f"{a}_{m}") for app, m in every for a in ("view", "add", "change", "delete")]
    admin += [("auth", f"{a}_{m}") for m in ("user", "group") for a in ("view", "add", "change")]
    admin += [
        (app, f"{a}_{m}")
        for app, m in (("mdm", "webhooksubscription"), ("mdm", "webhookdelivery"))
        for a in ("view", "add", "change", "delete")
    ]
    admin += [VIEW_PERSONAL_DATA, CHANGE_SENSITIVITY, *auditor]
    return {
        "data_viewer": viewer,
        "data_steward": steward,
        "mdm_admin": admin,
        "auditor": auditor,
    }


def ensure_roles(Group, Permission) -> None:
    """Create or update the role groups; takes model classes so migrations can pass theirs."""
    for name, perms in role_permissions().items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = [
            p
            for p in Permission.objects.filter(codename__in=[c for _, c in perms]).select_related(
                "content_type"
            )
            if (p.content_type.app_label, p.codename) in set(perms)
        ]
        group.permissions.set(wanted)
