"""The built-in match rules of customers, products and materials (:data:`DEFAULT_RULES`)."""

from __future__ import annotations

from matching.rules.model import FieldRule, HardRules, Level, MatchRule


def _levels(*rows: tuple[float, float, float, str]) -> list[Level]:
    return [Level(min_similarity=t, m=m, u=u, label=label) for t, m, u, label in rows]


def _identifier_field(name: str, applies_to: str | None = None) -> FieldRule:
    # A one-character difference between two *valid* codes is rare (check characters catch
    # most typos), so the typo level is weak evidence and "else" is strong counter-evidence.
    return FieldRule(
        name=name,
        field=name,
        comparator="identifier",
        applies_to=applies_to,
        levels=_levels(
            (1.0, 0.95, 1e-8, "same code"),
            (0.8, 0.03, 1e-7, "one typo"),
            (0.0, 0.02, 1.0, "different code"),
        ),
    )


def _phone_field() -> FieldRule:
    # Systems often hold different numbers of the same customer: "else" is only mildly negative.
    return FieldRule(
        name="phone",
        field="phone",
        comparator="phone",
        term_frequency=True,
        levels=_levels(
            (1.0, 0.55, 1e-7, "same number"),
            (0.9, 0.05, 1e-6, "same last 8 digits"),
            (0.7, 0.05, 1e-5, "one typo"),
            (0.0, 0.35, 1.0, "different number"),
        ),
    )


def _email_field() -> FieldRule:
    return FieldRule(
        name="email",
        field="email",
        comparator="email",
        term_frequency=True,
        levels=_levels(
            (1.0, 0.5, 1e-7, "same address"),
            (0.85, 0.1, 1e-4, "same role mailbox (admin@, office@…)"),
            (0.7, 0.05, 1e-5, "same mailbox, other domain"),
            (0.0, 0.35, 0.9999, "different address"),
        ),
    )


def _email_domain_field() -> FieldRule:
    # An organization's records carry its mailboxes (finance@, li.ming@) at its own domain: two
    # of them there say one organization, or one group (whose companies' names differ: the
    # organization-name rule keeps those for review). A person's colleagues share it too, so
    # organizations only; a public provider's domain (qq.com, 163.com) is no evidence at all.
    return FieldRule(
        name="email_domain",
        field="email",
        comparator="email_domain",
        applies_to="organization",
        levels=_levels(
            (1.0, 0.2, 1e-4, "same organization mail domain"),
            (0.0, 0.8, 0.9999, "other mail domain"),
        ),
    )


def _address_field() -> FieldRule:
    # Fuzzy address levels stay modest: in a city, neighbours differ by a room number only.
    return FieldRule(
        name="address",
        field="address",
        comparator="address",
        levels=_levels(
            (0.97, 0.5, 1e-5, "same address"),
            (0.9, 0.2, 5e-5, "nearly the same"),
            (0.8, 0.12, 2e-4, "similar"),
            (0.7, 0.08, 1e-3, "rather similar"),
            (0.6, 0.05, 0.01, "somewhat similar"),
            (0.0, 0.05, 0.98875, "different"),
        ),
    )


def _postal_field() -> FieldRule:
    return FieldRule(
        name="postal_code",
        field="postal_code",
        comparator="postal_code",
        levels=_levels(
            (1.0, 0.8, 0.002, "same"),
            (0.8, 0.08, 0.005, "one typo"),
            (0.5, 0.05, 0.01, "same district"),
            (0.0, 0.07, 0.983, "different"),
        ),
    )


# Default prior: two random records are the same thing with probability ~2e-5 (some 10^5
# records, each real thing held by two or three systems). Refit with engine.fit_rule.
_DEFAULT_PRIOR = 2e-5


def _customers() -> MatchRule:
    return MatchRule(
        entity="customers",
        description="Customers: organizations by credit code and core name, persons by "
        "resident ID, name and birth date; contact details as supporting evidence.",
        auto_threshold=0.99,
        review_threshold=0.5,
        prior=_DEFAULT_PRIOR,
        hard=HardRules(
            auto_on_same=["credit_code", "org_code", "id_number"],
            veto_on_different=["credit_code", "org_code", "id_number"],
            branch_veto=True,
            type_veto=True,
            chinese_name_review=True,
            organization_name_review=True,
        ),
        fields=[
            _identifier_field("credit_code", "organization"),
            _identifier_field("org_code", "organization"),
            _identifier_field("id_number", "person"),
            FieldRule(
                name="company_name",
                # The English or former name of one record may meet the name of another.
                field="name|english_name|former_name",
                comparator="company_name",
                applies_to="organization",
                term_frequency=True,
                # A registered name is unique within its registration region: the same core
                # by chance is rare, and region disagreement below takes care of other cities.
                # A short name alone (short form of the other, no region) reaches review, not
                # an automatic link: that takes corroboration (phone, e-mail, address, code).
                levels=_levels(
                    (1.0, 0.75, 1e-6, "same core name"),
                    (0.97, 0.1, 2e-6, "same pinyin / other script"),
                    # Homophones and the 0.86 level reach review only with a region that agrees:
                    # among real listed companies, 165 homophones without a region were one
                    # company once, 2,177 English names sharing a transliterated trade name
                    # with a Chinese name, without a region, half of the time.
                    (0.95, 0.02, 1.7e-6, "homophone (same pinyin)"),
                    (0.88, 0.05, 5e-7, "short name / abbreviation of the other"),
                    (0.86, 0.02, 1.7e-6, "transliterated or two-character short name"),
                    (0.8, 0.03, 1e-4, "nearly the same"),
                    (0.6, 0.015, 0.002, "similar"),
                    (0.0, 0.015, 0.9978931, "different"),
                ),
            ),
            FieldRule(
                name="region",
                field="name|english_name|former_name",
                comparator="company_region",
                applies_to="organization",
                # Same core in another city is, in China, usually another registered company.
                levels=_levels(
                    (1.0, 0.94, 0.08, "same region"),
                    (0.8, 0.05, 0.02, "one region contains the other"),
                    (0.0, 0.01, 0.9, "different region"),
                ),
            ),
            FieldRule(
                name="person_name",
                field="name",
                comparator="person_name",
                applies_to="person",
                term_frequency=True,
                levels=_levels(
                    (1.0, 0.5, 2e-4, "same name"),
                    (0.95, 0.25, 2e-4, "same tokens / one typo"),
                    (0.88, 0.08, 5e-4, "close"),
                    (0.7, 0.1, 0.01, "similar"),
                    (0.6, 0.04, 0.06, "one part agrees"),
                    (0.0, 0.03, 0.9293, "different"),
                ),
            ),
            FieldRule(
                name="birth_date",
                field="birth_date",
                comparator="birth_date",
                applies_to="person",
                # u: two random dates of birth over some 80 years are the same day 1 in 25,000
                # times, transposed (same year, both parts <= 12) 1 in 50,000, one digit off
                # 1 in 1,000 (each date has some 35 such neighbours), the same day of the
                # year 1 in 365. A typo is partial agreement: with the same name it is
                # review-strength evidence on its own.
                levels=_levels(
                    (1.0, 0.87, 4e-5, "same date"),
                    (0.9, 0.02, 2e-5, "day and month transposed"),
                    (0.8, 0.06, 1e-3, "one digit off / two digits swapped"),
                    (0.6, 0.01, 0.0027, "same day and month, another year"),
                    (0.5, 0.01, 0.003, "two digits off, same year"),
                    (0.0, 0.03, 0.99324, "different"),
                ),
            ),
            FieldRule(
                name="region_code",
                field="region_code",
                comparator="division",
                levels=_levels(
                    (1.0, 0.75, 0.01, "same division"),
                    (0.8, 0.15, 0.02, "one contains the other"),
                    (0.5, 0.05, 0.05, "same province"),
                    (0.0, 0.05, 0.92, "other province"),
                ),
            ),
            FieldRule(
                name="contact_name",
                field="contact_name",
                comparator="person_name",
                applies_to="organization",
                # Sales contacts change; a shared contact is support, a different one little.
                levels=_levels(
                    (0.95, 0.6, 1e-4, "same contact"),
                    (0.8, 0.05, 1e-3, "similar contact"),
                    (0.0, 0.35, 0.9989, "other contact"),
                ),
            ),
            _phone_field(),
            _email_field(),
            _email_domain_field(),
            _address_field(),
            _postal_field(),
        ],
    )


def _goods_spec_field(
    *, rich: float, two: float, same: float, numbers: float, m: tuple[float, ...]
) -> FieldRule:
    """The specification compared by its parsed attributes: agreement on three or more of
    them (thread, class and finish; size, ply and colour) pins an item down far better than a
    generic text agreement. Arguments: u of each agreeing level, m of every level."""
    return FieldRule(
        name="spec",
        field="spec",
        comparator="goods_spec",
        levels=_levels(
            (1.0, m[0], rich, "same specification, 3 or more attributes"),
            (0.95, m[1], two, "same specification, 2 attributes"),
            (0.9, m[2], same, "same specification"),
            (0.8, m[3], numbers, "same numbers"),
            (0.0, m[4], 1.0 - rich - two - same - numbers, "different numbers"),
        ),
    )


def _goods_name_field(*, same: float, nearly: float, words: float, similar: float) -> FieldRule:
    """Names of goods: an ERP name and a shop title say the same words in other company (美厨
    空气炸锅6L / 美厨/MEICHU 空气炸锅 MC8601 6L 无油), and ERP names leave words out (冷轧板 /
    冷轧钢板): "same words" is its own level, weaker than the same name. Arguments: u."""
    return FieldRule(
        name="name",
        field="name",
        comparator="goods_name",
        levels=_levels(
            (1.0, 0.4, same, "same name"),
            (0.9, 0.15, nearly, "nearly the same"),
            (0.85, 0.3, words, "same words, attributes aside / one name contains the other"),
            (0.7, 0.1, similar, "similar"),
            (0.0, 0.05, 1.0 - same - nearly - words - similar, "different"),
        ),
    )


def _uom_field(name: str) -> FieldRule:
    return FieldRule(
        name=name,
        field=name,
        comparator="uom",
        levels=_levels((1.0, 0.9, 0.4, "same unit"), (0.0, 0.1, 0.6, "other unit")),
    )


def _products() -> MatchRule:
    return MatchRule(
        entity="products",
        description="Products: GTIN decides; otherwise brand + model + name + specification; "
        "goods whose attributes conflict (6 L / 5 L, two model numbers) are never linked.",
        auto_threshold=0.99,
        review_threshold=0.5,
        prior=_DEFAULT_PRIOR,
        hard=HardRules(auto_on_same=["gtin"], veto_on_different=["gtin"], attribute_veto=True),
        fields=[
            _identifier_field("gtin"),
            FieldRule(
                name="model",
                # A shop title carries the model number in its name (… 空气炸锅 MC8601 6L).
                field="model|name",
                comparator="goods_codes",
                # iPhone 14 / iPhone 15: a model one character off is usually another product.
                levels=_levels(
                    (1.0, 0.85, 1e-5, "same model"),
                    (0.8, 0.08, 1e-4, "one typo"),
                    (0.0, 0.07, 0.99989, "different model"),
                ),
            ),
            FieldRule(
                name="brand",
                field="brand",
                comparator="brand",
                levels=_levels(
                    (1.0, 0.85, 0.02, "same brand"),
                    (0.85, 0.1, 0.005, "nearly the same"),
                    (0.0, 0.05, 0.975, "different"),
                ),
            ),
            _goods_name_field(same=1e-5, nearly=1e-4, words=1e-3, similar=0.005),
            _goods_spec_field(
                rich=1e-5, two=1e-4, same=0.01, numbers=0.02, m=(0.4, 0.2, 0.1, 0.25, 0.05)
            ),
            FieldRule(
                name="category",
                field="category",
                comparator="text",
                # Shops write whole category paths (手机数码>手机配件>移动电源): weak evidence.
                levels=_levels(
                    (0.9, 0.5, 0.05, "same category"),
                    (0.0, 0.5, 0.95, "other category"),
                ),
            ),
            _uom_field("uom"),
        ],
    )


def _materials() -> MatchRule:
    return MatchRule(
        entity="materials",
        description="Materials: name + specification must both agree; goods whose attributes "
        "conflict (M12 / M10, 镀锌 / 达克罗, 8.8级 / 10.9级) are never linked.",
        auto_threshold=0.99,
        review_threshold=0.5,
        prior=_DEFAULT_PRIOR,
        hard=HardRules(attribute_veto=True),
        fields=[
            _goods_name_field(same=1e-4, nearly=5e-4, words=0.003, similar=0.01),
            # M8x20 vs M10x20 are different materials however alike the names are.
            _goods_spec_field(
                rich=2e-6, two=2e-5, same=3e-4, numbers=0.003, m=(0.3, 0.2, 0.3, 0.17, 0.03)
            ),
            FieldRule(
                name="material_type",
                field="material_type",
                comparator="exact",
                levels=_levels((1.0, 0.9, 0.3, "same type"), (0.0, 0.1, 0.7, "other type")),
            ),
            FieldRule(
                name="material_group",
                field="material_group",
                comparator="text",
                levels=_levels((0.9, 0.7, 0.1, "same group"), (0.0, 0.3, 0.9, "other group")),
            ),
            _uom_field("base_uom"),
        ],
    )


def default_rule(entity: str) -> MatchRule:
    """A fresh copy of the built-in rule of an entity (safe to modify)."""
    factories = {"customers": _customers, "products": _products, "materials": _materials}
    try:
        return factories[entity]()
    except KeyError:
        raise ValueError(f"no default match rule for entity {entity!r}") from None


DEFAULT_RULES: dict[str, MatchRule] = {
    entity: default_rule(entity) for entity in ("customers", "products", "materials")
}
