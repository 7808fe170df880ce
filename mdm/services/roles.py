"""The roles (groups) and their permissions. Used by the roles migration and by test setup."""

from __future__ import annotations

HUB_MODELS = ("customer", "product", "material", "sourcerecord", "sourcesystem", "event")
DICTIONARY_MODELS = ("dataelement", "valuedomain", "codevalue", "elementbinding", "entitytype")


def role_permissions() -> dict[str, list[tuple[str, str]]]:
    """Role -> [(app_label, codename)]: least privilege for each role."""
    every = [("mdm", m) for m in HUB_MODELS] + [("dictionary", m) for m in DICTIONARY_MODELS]
    viewer = [(app, f"view_{m}") for app, m in every]
    steward = viewer + [
        ("mdm", f"change_{m}") for m in ("customer", "product", "material", "sourcerecord")
    ]
    steward += [
        ("mdm", "add_sourcerecord"),
        ("dictionary", "add_codevalue"),
        ("dictionary", "change_codevalue"),
    ]
    admin = [(app, f"{a}_{m}") for app, m in every for a in ("view", "add", "change", "delete")]
    admin += [("auth", f"{a}_{m}") for m in ("user", "group") for a in ("view", "add", "change")]
    return {"data_viewer": viewer, "data_steward": steward, "mdm_admin": admin}


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
