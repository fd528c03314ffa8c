from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError

from courtyard.core import parameters
from courtyard.core.models import ParameterValue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def test_parameters():
    parameters.register(
        "test.fee",
        kind=parameters.DECIMAL,
        default=Decimal("1.20"),
        label="Fee",
        group="Test",
        minimum=Decimal("0"),
        maximum=Decimal("99.99"),
    )
    parameters.register(
        "test.days",
        kind=parameters.INT,
        default=7,
        label="Days",
        group="Test",
        minimum=1,
        maximum=31,
    )
    parameters.register("test.flag", kind=parameters.BOOL, default=True, label="F", group="Test")
    parameters.register("test.name", kind=parameters.TEXT, default="", label="N", group="Test")
    parameters.register("test.at", kind=parameters.DATETIME, default="", label="A", group="Test")
    yield
    for key in ("test.fee", "test.days", "test.flag", "test.name", "test.at"):
        parameters._registry.pop(key)


def clean(key, raw):
    return parameters.definition(key).clean(raw)


@pytest.mark.parametrize(
    "key,raw,stored",
    [
        ("test.days", "5", 5),
        ("test.days", " 12 ", 12),
        ("test.days", 31, 31),
        ("test.fee", "2.50", "2.50"),
        ("test.fee", "0", "0"),
        ("test.flag", "on", True),
        ("test.flag", True, True),
        ("test.flag", "", False),
        ("test.flag", None, False),
        ("test.name", "  物业服务中心 ", "物业服务中心"),
        ("test.name", "", ""),
        ("test.at", "2026-12-01T06:00", "2026-12-01T06:00"),
        ("test.at", "", ""),
    ],
)
def test_values_are_cleaned_by_kind(key, raw, stored):
    assert clean(key, raw) == stored


@pytest.mark.parametrize(
    "key,raw,code",
    [
        ("test.days", "", "required"),
        ("test.days", "1.5", "invalid"),
        ("test.days", "seven", "invalid"),
        ("test.days", "0", "min"),
        ("test.days", "32", "max"),
        ("test.fee", "abc", "invalid"),
        ("test.fee", "NaN", "invalid"),
        ("test.fee", "Infinity", "invalid"),
        ("test.fee", "-inf", "invalid"),
        ("test.fee", "-0.01", "min"),
        ("test.fee", "100", "max"),
        ("test.at", "next friday", "invalid"),
        ("test.at", "2026-02-30T06:00", "invalid"),
    ],
)
def test_invalid_values_are_refused_with_a_reason(key, raw, code):
    with pytest.raises(ValidationError) as error:
        clean(key, raw)
    assert error.value.code == code


def test_limits_are_named_in_the_message():
    with pytest.raises(ValidationError) as error:
        clean("test.days", "40")
    assert error.value.messages == ["Ensure this value is at most 31."]


def test_defaults_until_set_then_typed_values():
    assert parameters.get("test.fee") == Decimal("1.20")
    assert parameters.get("test.days") == 7
    assert parameters.set_value("test.fee", "3.5") == Decimal("3.5")
    assert parameters.get("test.fee") == Decimal("3.5")
    assert isinstance(parameters.get("test.fee"), Decimal)
    assert ParameterValue.objects.get(key="test.fee").value == "3.5"


def test_set_value_refuses_invalid_input_and_keeps_the_old_value():
    parameters.set_value("test.days", "10")
    with pytest.raises(ValidationError):
        parameters.set_value("test.days", "99")
    assert parameters.get("test.days") == 10


def test_values_are_cached_and_the_cache_is_invalidated_on_change(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    parameters.get("test.days")
    with django_assert_num_queries(0):
        assert parameters.get("test.days") == 7  # served from the cache
    ParameterValue.objects.create(key="test.days", value=20)  # behind the cache's back
    assert parameters.get("test.days") == 7
    with django_capture_on_commit_callbacks(execute=True):
        parameters.set_value("test.days", "21")
        assert parameters.get("test.days") == 21  # the writer reads its own write at once
    parameters.get("test.days")
    assert cache.get(parameters.CACHE_KEY)["test.days"] == 21


def test_the_registry_lists_what_modules_registered():
    keys = [p.key for p in parameters.registered()]
    assert "security.idle_timeout_minutes" in keys and "test.fee" in keys
    assert parameters.definition("test.days").maximum == 31
