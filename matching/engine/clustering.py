"""Clusters of records linked by auto pairs, with conflict checks (union-find)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from matching.engine.compiled import _Compiled
from matching.engine.features import Features
from matching.normalize.goods import goods_conflicts


def cluster(
    n: int,
    auto_pairs: Iterable[tuple[int, int, float]],
    conflict: Callable[[set[int], set[int]], bool],
) -> list[list[int]]:
    """Group ``n`` records by union–find over auto pairs, strongest pairs first.

    A union is refused when ``conflict(members_a, members_b)`` says the two groups must not meet
    (two different valid credit codes, a vetoed pair across them …): transitivity would otherwise
    merge A–B–C although A and C were vetoed. Returns every group (singletons included), members
    sorted, groups ordered by their first member.
    """
    parent = list(range(n))
    members: dict[int, set[int]] = {}

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for i, j, _score in sorted(auto_pairs, key=lambda pair: -pair[2]):
        ri, rj = find(i), find(j)
        if ri == rj:
            continue
        group_i = members.get(ri) or {ri}
        group_j = members.get(rj) or {rj}
        if conflict(group_i, group_j):
            continue
        if len(group_i) < len(group_j):
            ri, rj, group_i, group_j = rj, ri, group_j, group_i
        parent[rj] = ri
        group_i |= group_j
        members[ri] = group_i
        members.pop(rj, None)
    groups: dict[int, list[int]] = {}
    for x in range(n):
        groups.setdefault(find(x), []).append(x)
    return sorted(groups.values(), key=lambda group: group[0])


def _conflict_checker(
    c: _Compiled, features: Sequence[Features], vetoed: set[tuple[int, int]]
) -> Callable[[set[int], set[int]], bool]:
    """Conflict between two groups: different valid veto identifiers, person vs organization,
    different branches, goods whose attributes conflict (``attribute_veto``: any record of one
    group against any of the other, whether or not the two were ever compared — A 镀锌 and C
    达克罗 never join through a B that names no finish), or any vetoed pair across them."""

    def identities(group: set[int], name: str) -> set[str]:
        return {value for x in group if (value := features[x].identifier(name))}

    def conflict(group_a: set[int], group_b: set[int]) -> bool:
        for name in c.veto_on_different:
            left, right = identities(group_a, name), identities(group_b, name)
            if left and right and left != right:
                return True
        if c.type_veto:
            kinds = {features[x].kind for x in group_a | group_b} - {""}
            if len(kinds) > 1:
                return True
        if c.branch_veto:
            branches = {
                features[x].branch for x in group_a | group_b if features[x].kind != "person"
            }
            if len(branches) > 1:
                return True
        if c.attribute_veto and features and features[0].entity != "customers":
            for x in group_a:
                for y in group_b:
                    if goods_conflicts(features[x].goods, features[y].goods):
                        return True
        if vetoed:
            small, large = (
                (group_a, group_b) if len(group_a) <= len(group_b) else (group_b, group_a)
            )
            for x in small:
                for y in large:
                    if (min(x, y), max(x, y)) in vetoed:
                        return True
        return False

    return conflict
