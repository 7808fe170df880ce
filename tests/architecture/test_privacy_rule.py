"""The privacy rule in one place (docs/security.md): only ``mdm.privacy`` decides what a caller
sees of a personal value, read from the source with ``ast``.

An edge (a view, serializer, admin page, command) shows a record's values through
``mdm.privacy.policy`` — ``disclose`` for a read, ``shown_*`` for a masked rendering, ``reveal``
for the audited grant of a clear view. No module outside ``mdm.privacy`` checks the personal-data
permission, writes an unmask audit row or hands out clear values by itself.
"""

from __future__ import annotations

import ast

import pytest

from tests.architecture.test_import_rule import EDGE, MODULES, ROOT, _within, layer_of

#: Names only the privacy package uses: the permission check, the audit row of a clear view,
#: the clear payload.
DECIDING_NAMES = {"can_view_personal_data", "log_personal_data_access", "unmask_attributes"}
PERMISSION = "view_personal_data"


def _outside_privacy() -> dict:
    return {
        name: path
        for name, path in MODULES.items()
        if _within(name, "mdm")
        and not _within(name, "mdm.privacy")
        and not _within(name, "mdm.devtools")
    }


def deciding_by_itself(source: str) -> list[tuple[int, str]]:
    """Lines of ``source`` that decide on personal data without the policy."""
    found = []
    for node in ast.walk(ast.parse(source)):
        named = None
        if isinstance(node, ast.Name):
            named = node.id
        elif isinstance(node, ast.Attribute):
            named = node.attr
        elif isinstance(node, ast.ImportFrom):
            named = next((a.name for a in node.names if a.name in DECIDING_NAMES), None)
        if named in DECIDING_NAMES:
            found.append((node.lineno, named))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "has_perm"
            and any(
                isinstance(arg, ast.Constant) and PERMISSION in str(arg.value) for arg in node.args
            )
        ):
            found.append((node.lineno, "has_perm(view_personal_data)"))
    return found


def test_only_the_privacy_package_decides_on_personal_data():
    found = [
        f"{path.relative_to(ROOT)}:{line} uses {name}"
        for name_, path in _outside_privacy().items()
        for line, name in deciding_by_itself(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_edges_show_values_through_the_policy_not_the_masking_mechanics():
    found = [
        f"{path.relative_to(ROOT)} imports mdm.privacy.masking"
        for name, path in _outside_privacy().items()
        if layer_of(name) == EDGE
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if (isinstance(node, ast.ImportFrom) and node.module == "mdm.privacy.masking")
        or (
            isinstance(node, ast.ImportFrom)
            and node.module == "mdm.privacy"
            and any(a.name == "masking" for a in node.names)
        )
        or (
            isinstance(node, ast.Import)
            and any(a.name == "mdm.privacy.masking" for a in node.names)
        )
    ]
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        "from mdm.privacy.masking import unmask_attributes\n",
        "masking.can_view_personal_data(user)\n",
        "audit.log_personal_data_access(actor=user)\n",
        "request.user.has_perm('mdm.view_personal_data')\n",
    ],
)
def test_the_rule_sees_an_edge_that_decides_by_itself(source):
    assert deciding_by_itself(source) != []


def test_the_rule_lets_an_edge_ask_the_policy():
    source = "privacy.disclose(user=u, entity='customers', record='C1', values={})\n"
    assert deciding_by_itself(source) == []
