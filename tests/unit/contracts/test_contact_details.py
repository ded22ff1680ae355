"""Contact information is refused and ordinary order talk passes, measured on a corpus."""

from pathlib import Path

import pytest

from contracts.contact_details import EMAIL, HANDLE, PHONE, URL, ContactFilter, describe, normalise

CORPUS = Path(__file__).parent / "contact_corpus"
REGIONS = ("US", "GB", "NG", "KE")


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def messages(name: str) -> list[str]:
    lines = (CORPUS / name).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def contact_filter():
    return ContactFilter(REGIONS)


def test_the_corpus_is_large_enough_to_mean_something():
    assert len(messages("block.txt")) >= 100
    assert len(messages("allow.txt")) >= 100


def test_precision_and_recall_on_the_corpus_are_one(contact_filter):
    to_block, to_allow = messages("block.txt"), messages("allow.txt")
    blocked = {text for text in to_block + to_allow if contact_filter.find(text)}
    true_positives = len(blocked & set(to_block))
    precision = true_positives / len(blocked)
    recall = true_positives / len(to_block)
    print(f"contact filter: precision {precision:.3f}, recall {recall:.3f}")
    assert sorted(set(to_allow) & blocked) == []
    assert sorted(set(to_block) - blocked) == []
    assert (precision, recall) == (1.0, 1.0)


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("maria dot lopez at gmail dot com", "maria.lopez@gmail.com"),
        ("maria[at]gmail[dot]com", "maria@gmail.com"),
        (full_width("maria@gmail.com"), "maria@gmail.com"),
        ("four one five five five five oh one three two", "4155550132"),
        ("nine one seven triple five two one two one", "9175552121"),
        ("one or two boxes", "one or two boxes"),
    ],
)
def test_normalisation_undoes_the_usual_evasions(text, normal):
    assert normalise(text) == normal


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("maria dot lopez at gmail dot com", EMAIL),
        ("call four one five five five five zero one three two", PHONE),
        ("see forgeworks.io", URL),
        ("t.me/marialopez", HANDLE),
        ("venmo me the balance", HANDLE),
    ],
)
def test_each_finding_says_what_kind_of_contact_it_is(contact_filter, text, kind):
    assert kind in {finding.kind for finding in contact_filter.find(text)}


def test_the_refusal_names_what_was_found(contact_filter):
    findings = contact_filter.find("mail maria(at)gmail.com or call +1 415 555 0132")
    reason = describe(findings)
    assert "maria@gmail.com" in reason and "e-mail address" in reason
    assert "phone number" in reason


def test_the_regions_decide_which_national_numbers_are_phones():
    nigerian = "call 0803 123 4567"
    assert ContactFilter(("NG",)).find(nigerian)
    assert not ContactFilter(("US",)).find(nigerian)
