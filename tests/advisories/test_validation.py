import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from advisories.validation import RULE_FIELDS, rule_errors
from tests.factories import RuleFactory, SectionFactory


def test_every_kind_of_the_product_table_has_its_fields():
    assert {kind: spec.required for kind, spec in RULE_FIELDS.items()} == {
        "registration": ("threshold_days", "deadline_days"),
        "re_registration": ("deadline_days",),
        "visa_free": ("nationalities", "max_days"),
        "transit": ("max_days",),
        "permit": ("places",),
        "document": (),
        "activity": ("activities",),
        "stay_limit": ("max_days", "window_days"),
    }


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"kind": "registration", "deadline_days": 5}, "threshold_days"),
        ({"kind": "re_registration"}, "deadline_days"),
        ({"kind": "visa_free", "nationalities": ["GB"]}, "max_days"),
        ({"kind": "visa_free", "max_days": 30, "nationalities": ["GBR"]}, "nationalities"),
        ({"kind": "transit"}, "max_days"),
        ({"kind": "permit", "places": []}, "places"),
        ({"kind": "activity"}, "activities"),
        ({"kind": "document", "threshold_days": 4}, "threshold_days"),
        (
            {"kind": "document", "exemptions": {"passport_types": ["consular"]}},
            "exemptions.passport_types",
        ),
        ({"kind": "document", "valid_from": "2026-02-30"}, "valid_from"),
        (
            {"kind": "document", "valid_from": "2026-02-01", "valid_until": "2026-01-31"},
            "valid_until",
        ),
        ({"kind": "registration", "threshold_days": 5, "deadline_days": -1}, "deadline_days"),
        ({"kind": "stay_limit", "max_days": 90}, "window_days"),
        ({"kind": "stay_limit", "max_days": 90, "window_days": 60}, "window_days"),
        ({"kind": "stay_limit", "max_days": 90, "window_days": 0}, "window_days"),
        ({"kind": "registration", "window_days": 180}, "window_days"),
        ({"kind": "document", "lead_days": -1}, "lead_days"),
        ({"kind": "document", "lead_days": "30"}, "lead_days"),
    ],
)
def test_a_rule_missing_or_misusing_a_field_of_its_kind_is_invalid(rule, field):
    assert field in rule_errors(rule)


def test_lead_days_may_be_given_to_a_rule_of_any_kind():
    assert rule_errors({"kind": "document", "lead_days": 0}) == {}
    assert rule_errors({"kind": "activity", "activities": ["driving"], "lead_days": 1}) == {}


def test_any_visa_category_is_allowed_as_free_text():
    rule = {"kind": "document", "exemptions": {"visa_categories": ["C3 investor (long stay)"]}}
    assert rule_errors(rule) == {}


def test_a_complete_rule_of_each_kind_is_valid():
    rules = [
        {
            "kind": "registration",
            "threshold_days": 5,
            "deadline_days": 3,
            "deadline_unit": "working",
        },
        {"kind": "re_registration", "deadline_days": 5},
        {"kind": "visa_free", "nationalities": ["GB", "US"], "max_days": 30},
        {"kind": "transit", "max_days": 5},
        {"kind": "permit", "places": ["Baikonur"]},
        {"kind": "document"},
        {"kind": "activity", "activities": ["drone"], "nationalities": ["FR"]},
        {"kind": "stay_limit", "max_days": 90, "window_days": 180, "nationalities": ["US"]},
    ]
    for rule in rules:
        assert rule_errors(rule) == {}, rule


@pytest.mark.django_db
def test_rule_clean_reports_field_errors_by_model_field():
    rule = RuleFactory.build(
        threshold_days=None,
        exempt_passport_types=["alien"],
        valid_from=dt.date(2026, 5, 1),
        valid_until=dt.date(2026, 4, 1),
    )
    with pytest.raises(ValidationError) as invalid:
        rule.clean()
    assert set(invalid.value.message_dict) == {
        "threshold_days",
        "exempt_passport_types",
        "valid_until",
    }


@pytest.mark.django_db
def test_a_rule_of_a_kind_without_deadlines_ignores_the_default_deadline_unit():
    rule = RuleFactory.build(
        kind="transit",
        threshold_days=None,
        deadline_days=None,
        max_days=3,
        deadline_unit="calendar",
    )
    rule.clean()


@pytest.mark.django_db
def test_section_clean_refuses_months_outside_the_year():
    section = SectionFactory.build(months=[0, 13])
    with pytest.raises(ValidationError) as invalid:
        section.clean()
    assert "months" in invalid.value.message_dict
