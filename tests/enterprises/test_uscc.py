"""USCC validation (GB 32100 with the inner GB 11714 check): each check, normalisation, the batch form."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bank_tax.enterprises import uscc

VALID = "91350100M000100Y43"  # the standard's own example


def test_the_standards_example_is_valid():
    assert uscc.validate(VALID).code == VALID


def test_parts():
    u = uscc.validate(VALID)
    assert (u.authority, u.entity_type, u.division, u.organization_code) == ("9", "1", "350100", "M000100Y4")


@pytest.mark.parametrize(
    "raw",
    [" 91350100m000100y43 ", "91350100-M000100Y43", "９１３５０１００Ｍ０００１００Ｙ４３", "91350100M000100Y43\n"],
)
def test_normalisation_lowercase_fullwidth_spaces(raw):
    assert uscc.validate(raw).code == VALID


@pytest.mark.parametrize(
    ("code", "check"),
    [
        ("91350100M000100Y4", "length"),
        ("91350100M000100Y433", "length"),
        ("91350100M0001O0Y43", "charset"),  # letter O is never used
        ("9135010OM000100Y43", "charset"),
        ("91350100M000100Z43", "charset"),
        ("B1350100M000100Y43", "registration_authority"),
        ("95350100M000100Y43", "entity_type"),  # market regulation has types 1, 2, 3 only
        ("91990100M000100Y43", "division_code"),  # no province 99
        ("91350100M000100Y53", "organization_code_check"),
        ("91350100M000100Y44", "check_character"),
    ],
)
def test_each_check_is_named(code, check):
    with pytest.raises(uscc.UsccError) as err:
        uscc.validate(code)
    assert err.value.check == check
    assert err.value.message  # says how, in words


def test_org_check_digit_maps_10_to_x_and_11_to_0():
    digits = {uscc.org_check_digit(f"MA{n:06d}") for n in range(400)}
    assert "X" in digits and "0" in digits


def test_make_builds_valid_codes():
    code = uscc.make(division="330106", body8="MA2B3C4D")
    assert uscc.validate(code).code == code


body = st.text(alphabet=uscc.ALPHABET, min_size=8, max_size=8)


@settings(max_examples=200, deadline=None)
@given(body=body, pos=st.integers(0, 17), shift=st.integers(1, 30))
def test_check_many_agrees_with_validate(body, pos, shift):
    """The vectorised checks accept and refuse exactly what the one-at-a-time validator does."""
    good = uscc.make(division="330106", body8=body)
    chars = list(good)
    chars[pos] = uscc.ALPHABET[(uscc.VALUE[chars[pos]] + shift) % 31]
    bad = "".join(chars)
    batch = np.array([good, bad, good.lower(), good[:17]])
    expected = []
    for c in batch:
        try:
            uscc.validate(c)
            expected.append(c == uscc.normalize(c))  # check_many takes normalised codes only
        except uscc.UsccError:
            expected.append(False)
    assert uscc.check_many(batch).tolist() == expected
    assert expected[0] is True


def test_a_single_substitution_is_always_caught():
    """The mod-31 check character catches every single-character error."""
    rng = np.random.default_rng(1)
    for _ in range(300):
        b = "".join(rng.choice(list(uscc.ALPHABET), 8))
        code = list(uscc.make(division="330106", body8=b))
        i = int(rng.integers(0, 18))
        code[i] = uscc.ALPHABET[(uscc.VALUE[code[i]] + int(rng.integers(1, 31))) % 31]
        with pytest.raises(uscc.UsccError):
            uscc.validate("".join(code))
