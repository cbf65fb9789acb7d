"""The ``key`` path converter: any digits a database key can be are that key, any longer
number is no match (a 404 at the router, never a query with it); ``reverse`` still writes any
number."""

import pytest
from django.urls import Resolver404, resolve, reverse
from hypothesis import given
from hypothesis import strategies as st

from core.converters import KEY_MAX, KeyConverter


@given(st.integers(min_value=0, max_value=KEY_MAX))
def test_a_key_in_range_is_that_key(key):
    assert KeyConverter().to_python(str(key)) == key
    assert KeyConverter().to_python(f"000{key}") == key


@given(st.integers(min_value=KEY_MAX + 1, max_value=2**200))
def test_a_number_past_any_key_is_no_match(number):
    with pytest.raises(ValueError, match="not a key"):
        KeyConverter().to_python(str(number))


def test_thousands_of_digits_are_no_match_either():
    with pytest.raises(ValueError, match="limit"):
        KeyConverter().to_python("9" * 5000)  # past Python's limit for int() of a string


def test_the_router_finds_keys_and_refuses_the_rest():
    assert resolve(f"/practice/patients/{KEY_MAX}/").kwargs == {"patient_id": KEY_MAX}
    for number in (KEY_MAX + 1, 2**70):
        path = reverse("therapist_patient", kwargs={"patient_id": number})
        assert path == f"/practice/patients/{number}/"
        with pytest.raises(Resolver404):
            resolve(path)
