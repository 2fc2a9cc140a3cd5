"""The RACI rules on plain data: parsing cells as people write them, writing
them back, task status and column counts."""

from itertools import combinations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roles import raci

ALL_SETS = [frozenset(c) for n in range(5) for c in combinations("RACI", n)]
letter_sets = st.frozensets(st.sampled_from(raci.LETTERS))


@pytest.mark.parametrize(
    ("text", "letters"),
    [
        ("A/R", "AR"),
        ("R/A", "AR"),
        ("r, a", "AR"),
        ("AR", "AR"),
        ("ra", "AR"),
        ("C / I", "CI"),
        ("i/c", "CI"),
        ("R", "R"),
        (" a ", "A"),
        ("N", ""),
        ("n", ""),
        ("-", ""),
        ("–", ""),
        ("x", ""),
        ("", ""),
        ("   ", ""),
        (None, ""),
        ("R; C", "CR"),
        ("A+R", "AR"),
    ],
)
def test_parse_reads_cells_as_people_write_them(text, letters):
    cell = raci.parse_cell(text)
    assert cell.letters == frozenset(letters)
    assert cell.unknown == ""


@pytest.mark.parametrize(
    ("text", "letters", "unknown"),
    [
        ("R/ansvarig", "R", "ansvarig"),
        ("X?", "", "X?"),
        ("Q", "", "Q"),
        ("ı", "", "ı"),  # dotless i upper-cases to I, but is not a RACI letter
        ("RACIR", "", "RACIR"),
    ],
)
def test_parse_reports_what_it_cannot_read(text, letters, unknown):
    cell = raci.parse_cell(text)
    assert cell.letters == frozenset(letters)
    assert cell.unknown == unknown
    assert not cell.ok


def test_format_writes_the_owner_first():
    assert raci.format_cell(frozenset("RA")) == "A/R"
    assert raci.format_cell(frozenset("IC")) == "C/I"
    assert raci.format_cell(frozenset()) == ""
    assert raci.format_cell(frozenset("IRCA")) == "A/R/C/I"


@pytest.mark.parametrize("letters", ALL_SETS)
def test_format_then_parse_round_trips_every_set_of_letters(letters):
    text = raci.format_cell(letters)
    cell = raci.parse_cell(text)
    assert cell.letters == letters
    assert cell.unknown == ""
    assert cell.text == text


@given(letter_sets)
def test_round_trip_property(letters):
    assert raci.parse_cell(raci.format_cell(letters)).letters == letters


@given(
    st.lists(st.sampled_from(raci.LETTERS), max_size=4),
    st.sampled_from(["", "/", ", ", " / ", " "]),
)
def test_any_spelling_of_letters_parses_to_the_same_set(letters, sep):
    text = sep.join(letters) if sep else "".join(letters)
    for variant in (text, text.lower(), f"  {text} "):
        assert raci.parse_cell(variant).letters == frozenset(letters)


@given(st.text())
def test_parse_never_raises_and_keeps_what_it_cannot_read(text):
    cell = raci.parse_cell(text)
    assert cell.letters <= frozenset(raci.LETTERS)
    assert isinstance(cell.unknown, str)
    # Anything that is not blank either gave letters, was a "none" word, or is reported.
    if not cell.letters and not cell.unknown:
        stripped = text.replace("\x00", "").strip()
        tokens = [t for t in raci._SPLIT.split(stripped) if t]
        assert all(t.lower() in raci.EMPTY_WORDS for t in tokens) or (
            stripped.lower() in raci.EMPTY_WORDS
        )


@given(st.one_of(st.none(), st.integers(), st.floats(allow_nan=True), st.binary()))
def test_parse_never_raises_on_other_values(value):
    raci.parse_cell(value)


def test_usual_and_unusual_combinations():
    for text in ("", "R", "A", "A/R", "C", "I"):
        assert not raci.parse_cell(text).unusual
    for text in ("R/C", "C/I", "A/C", "A/R/C", "A/I"):
        assert raci.parse_cell(text).unusual


def test_choices_are_usual_and_canonical():
    for choice in raci.CHOICES:
        cell = raci.parse_cell(choice)
        assert cell.text == choice
        assert not cell.unusual


def direct_status(cells):
    cells = [frozenset(c) for c in cells]
    a = sum("A" in c for c in cells)
    r = sum("R" in c for c in cells)
    odd = sum(c not in raci.USUAL for c in cells)
    return a, r, odd


@given(st.lists(letter_sets, max_size=12))
def test_status_agrees_with_a_direct_count(cells):
    status = raci.task_status(cells)
    a, r, odd = direct_status(cells)
    assert (status.a_count, status.r_count, status.unusual) == (a, r, odd)
    assert status.ok == (a == 1 and r >= 1 and odd == 0)
    assert (raci.NO_A in status.flags) == (a == 0)
    assert (raci.MANY_A in status.flags) == (a > 1)
    assert (raci.NO_R in status.flags) == (r == 0)
    assert (raci.UNUSUAL in status.flags) == (odd > 0)
    assert status.key == (status.flags[0] if status.flags else raci.COMPLETE)
    assert str(status.label)


def test_status_examples():
    assert raci.task_status([]).key == raci.NO_A
    assert raci.task_status([{"A", "R"}]).key == raci.COMPLETE
    assert raci.task_status([{"A"}, {"R"}, {"C"}, {"I"}]).key == raci.COMPLETE
    assert raci.task_status([{"A"}, {"A"}, {"R"}]).key == raci.MANY_A
    assert raci.task_status([{"A"}, {"C"}]).key == raci.NO_R
    assert raci.task_status([{"A"}, {"R", "C"}]).key == raci.UNUSUAL


@given(st.lists(letter_sets, max_size=20))
def test_column_counts_agree_with_a_direct_count(cells):
    counts = raci.column_counts(cells)
    assert set(counts) == set(raci.LETTERS)
    for letter in raci.LETTERS:
        assert counts[letter] == sum(letter in c for c in cells)
