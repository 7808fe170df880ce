"""Test helper shared by the matching tests (importable: its folder holds the root conftest)."""

from __future__ import annotations

from matching.models import MatchRuleConfig
from matching.rules import DEFAULT_RULES, rule_to_dict


def set_thresholds(auto: float, review: float = 0.5) -> None:
    """The customers' rule with the shipped weights and these thresholds. Auto-linking set out
    of reach (``auto=0.999999999999``) stores duplicates apart, for the batch match to find."""
    MatchRuleConfig.objects.update_or_create(
        entity="customers",
        defaults={
            "auto_threshold": auto,
            "review_threshold": review,
            "config": rule_to_dict(DEFAULT_RULES["customers"]),
        },
    )
