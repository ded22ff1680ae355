"""Contact information in free text: what parties may not share with each other (seed 001).

One rule of the marketplace, for every service that stores free text another party reads: chat's
messages and file names, the orders service's placements (title, line descriptions, a job's
terms) and action notes in the timeline (a cancellation's reason, an inspection's feedback...),
the disputes service's descriptions and statements. It lives with the published language
because it says which text is acceptable input, as the request schemas and limits do
(docs/adr/0019).

The platform carries the conversation and the money, so a message that takes either elsewhere
(an e-mail address, a phone number, a link, a handle on a messaging or payment app) is refused.
People write such things to get past filters ("maria dot lopez at gmail dot com", "four one five
…", full-width digits), so the text is first *normalised* by rules of our own, and only then
searched by libraries that know the real formats: ``phonenumbers`` (Leniency.POSSIBLE, for the
marketplace's regions) and ``linkify-it-py`` (URLs and e-mail addresses).

Ordinary order talk must pass: tolerances, dimensions, part numbers, dates, prices, quantities,
tracking and order numbers. Those are *masked* before the phone search, and file names are not
taken for web sites. Pure: no I/O, so it can be tested on a corpus.
"""

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import phonenumbers
from linkify_it import LinkifyIt

from contracts.errors import InvalidRequest

EMAIL, PHONE, URL, HANDLE = "email", "phone", "url", "handle"
REASONS = {
    EMAIL: "an e-mail address",
    PHONE: "a phone number",
    URL: "a web address",
    HANDLE: "an account on another messaging or payment app",
}
DEFAULT_REGIONS = ("US", "GB")
# Fewer digits than this are quantities, prices or codes far more often than phone numbers.
MIN_PHONE_DIGITS = 8
MASK = " ~ "


@dataclass(frozen=True)
class Finding:
    kind: str
    found: str

    @property
    def reason(self) -> str:
        return f"{REASONS[self.kind]} ({self.found})"


# --- normalisation ---------------------------------------------------------------------------

_OPEN, _CLOSE = r"[\(\[\{<]", r"[\)\]\}>]"
_BRACKETED_AT = re.compile(rf"\s*{_OPEN}\s*(?:at|@|a)\s*{_CLOSE}\s*")
_BRACKETED_DOT = re.compile(rf"\s*{_OPEN}\s*(?:dot|d0t|\.|period|punto)\s*{_CLOSE}\s*")
_SPELLED_DOT = re.compile(r"\s+(?:dot|d0t)\s+(?=[a-z0-9])")
_SPELLED_AT = re.compile(
    r"\b([a-z0-9][a-z0-9._%+-]*)\s+(?:at|@)\s+([a-z0-9-]+(?:\.[a-z0-9-]+)+)(?![a-z0-9.-]*@)"
)
_SPACED_DOT = re.compile(r"(?<=[a-z0-9])\s+\.\s+(?=[a-z0-9])")
_SPACED_AT = re.compile(r"\s+@\s+|\s+@(?=[a-z0-9-]+\.[a-z])|(?<=[a-z0-9])@\s+")

DIGIT_WORDS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
_REPEAT = {"double": 2, "triple": 3}
_TOKEN = re.compile(r"[a-z]+|\d+|[^\sa-z\d]+|\s+")
# Runs of spelled digits shorter than this are ordinary words ("one or two boxes").
MIN_SPELLED_RUN = 4


def normalise(text: str) -> str:
    """One lower-case line with evasions undone: full-width forms, (at)/[dot], spelled digits."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("\u200b", "").replace("\u00ad", "")  # invisible splitters
    text = _BRACKETED_AT.sub("@", text)
    text = _BRACKETED_DOT.sub(".", text)
    text = _SPELLED_DOT.sub(".", text)
    text = _SPACED_DOT.sub(".", text)
    text = _SPELLED_AT.sub(r"\1@\2", text)
    text = _SPACED_AT.sub("@", text)
    return _spelled_digits_to_digits(text)


def _spelled_digits_to_digits(text: str) -> str:
    """ "four one five five five oh one" -> "4155550"; short runs stay words."""
    tokens = _TOKEN.findall(text)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        run_end, digits = _spelled_run(tokens, i)
        words = sum(1 for t in tokens[i:run_end] if t in DIGIT_WORDS or t in _REPEAT)
        if words >= MIN_SPELLED_RUN or (words and len(digits) >= MIN_PHONE_DIGITS):
            out.append(digits)
            i = run_end
        else:
            out.append(tokens[i])
            i += 1
    return "".join(out)


def _spelled_run(tokens: list[str], start: int) -> tuple[int, str]:
    """The end of the run of digits (spelled or not) starting at ``start``, and its digits."""
    digits, i, last_good, last_digits, repeat = "", start, start, "", 1
    while i < len(tokens):
        token = tokens[i]
        if token in _REPEAT:
            repeat = _REPEAT[token]
        elif token in DIGIT_WORDS and (token != "o" or digits):
            digits += DIGIT_WORDS[token] * repeat
            repeat = 1
        elif token.isdigit():
            digits += token * repeat
            repeat = 1
        elif not (token.isspace() or token in ("-", ".", ",", "/")):
            break
        if digits:
            last_good, last_digits = i + 1, digits
        elif token.isspace() or not token.strip("-.,/"):
            break
        i += 1
    return last_good, last_digits


# --- what ordinary order talk looks like (masked before looking for phone numbers) ----------

_IDENTIFIER_WORDS = (
    r"tracking|track|awb|waybill|consignment|order|po|p\.o\.|purchase order|invoice|inv|part|"
    r"p/n|pn|sku|ref|reference|lot|batch|serial|s/n|sn|drawing|dwg|rev|revision|item|quote|"
    r"rfq|case|ticket|shipment|parcel|container|b/l|bl|hs|hs code|model|article|art|cert|"
    r"certificate|report|heat|mo|job|ups|fedex|dhl|usps|tnt|gls|dpd"
)
_SAFE_PATTERNS = [
    # "tracking number 1Z…", "PO# 4500012345", "order no. 100234567", "part 4411-2201"
    (
        rf"\b(?:{_IDENTIFIER_WORDS})(?![a-z])\s*(?:number|numbers|nos?\.?|num|nr\.?|id|code)?\s*[:#]?\s*"
        r"(?:is\s+|was\s+)?[a-z0-9][a-z0-9\-/]*(?:[ ](?=\d)[0-9][0-9\-]*)*"
    ),
    r"#\s*[a-z0-9][a-z0-9\-/]*",
    # dates and times
    r"\b\d{4}-\d{1,2}-\d{1,2}\b",
    r"\b\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}\b",
    r"\b\d{1,2}:\d{2}(?::\d{2})?\b",
    # money
    r"[$€£¥₦₹]\s?\d[\d,. ]*\d|[$€£¥₦₹]\s?\d",
    r"\b\d[\d,.]*\s?(?:usd|eur|gbp|ngn|kes|egp|cny|rmb|inr|dollars?|euros?|pounds?|naira)\b",
    # tolerances, dimensions and quantities with a unit
    r"±\s?\d+(?:[.,]\d+)?|(?<!\w)[+\-]\s?\d+[.,]\d+",
    (
        r"\b\d+(?:[.,]\d+)?\s?(?:mm|cm|m|µm|um|microns?|in|inch|inches|ft|\"|'|kg|g|lbs?|oz|"
        r"pcs|pieces|pc|units?|sets?|boxes|cartons?|pallets?|%|°c?|deg|degrees|hrs?|hours?|days?|"
        r"weeks?|months?|mpa|psi|rpm|nm|hrc|ra|x|k)\b"
    ),
    r"\b\d+(?:[.,]\d+)?\s?x\s?\d+(?:[.,]\d+)?(?:\s?x\s?\d+(?:[.,]\d+)?)?",
    # decimals: one point, not a dotted digit group
    r"(?<![\d.])\d+[.,]\d{1,3}(?![.,]?\d)",
    # codes mixing letters and digits: part numbers, parcel numbers, thread sizes
    r"\b(?=[a-z0-9_\-]*[a-z])(?=[a-z0-9_\-]*\d)[a-z0-9_]+(?:-[a-z0-9_]+)*\b",
    # compact dates, as cameras name their files: 20261203_101010.jpg
    r"(?<!\d)(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d)",
    # ISO / DIN / ASTM standards
    r"\b(?:iso|din|astm|ansi|en|asme|jis|bs|iec|ul|sae)\s?[a-z]?\d[\d\-:./]*",
]
_SAFE = re.compile("|".join(f"(?:{p})" for p in _SAFE_PATTERNS))
# "phone4155550132" is not a part number: split a contact word from the digits it hides.
_CONTACT_WORD_BEFORE_DIGITS = re.compile(
    r"(phone|tel|call|cell|mobile|mob|whatsapp|text|sms|ph|number|num|no|contact)(?=\d)"
)
_DIGIT_GROUPS = re.compile(r"\+?\(?\d[\d\s().\-/]*\d")


def _mask_ordinary_numbers(text: str) -> str:
    text = _CONTACT_WORD_BEFORE_DIGITS.sub(r"\1 ", text)
    return _SAFE.sub(MASK, text)


def _collapse_digit_groups(text: str) -> str:
    """ "4 1 5-555 0132" -> "4155550132", keeping a leading + so international numbers parse."""
    return _DIGIT_GROUPS.sub(
        lambda m: ("+" if m.group().startswith("+") else "") + re.sub(r"\D", "", m.group()),
        text,
    )


# --- apps and handles ------------------------------------------------------------------------

_APPS = (
    r"whats\s?app|whatsap|wa|telegram|tg|skype|we\s?chat|weixin|viber|signal|line\s?id|instagram|"
    r"insta|ig|facebook|fb|messenger|snapchat|snap|tiktok|twitter|discord|linkedin|kakao|"
    r"kakaotalk|zalo|imo|botim|threema|wickr|gmail|hotmail|outlook|yahoo|icloud|protonmail"
)
_PAY_APPS = r"venmo|paypal|cash\s?app|zelle|revolut|payoneer|alipay|wise"
_HANDLE_PATTERNS = [
    # links that open a chat or a payment directly
    (
        r"\b(?:wa\.me|api\.whatsapp\.com|chat\.whatsapp\.com|t\.me|telegram\.me|telegram\.dog|"
        r"m\.me|ig\.me|signal\.me|line\.me|viber\.click|u\.wechat\.com|paypal\.me|venmo\.com|"
        r"cash\.app|revolut\.me)\s*/\s*\S*"
    ),
    r"\b(?:skype|viber|tg|whatsapp|weixin|callto|tel|sms|mailto)\s*:\s*\S+",
    # "whatsapp me", "my telegram is …", "add me on wechat", "skype id: …"
    rf"\b(?:{_APPS}|{_PAY_APPS})\s+(?:me|us|him|her)\b",
    rf"\b(?:my|our|his|her)\s+(?:{_APPS}|{_PAY_APPS})\b",
    (
        rf"\b(?:on|via|through|over|in|by|using|use|add|text|message|msg|ping|dm|call|reach|"
        rf"contact|find|chat|talk|continue|move|switch|send|pay|payment|transfer)\s+"
        rf"(?:[a-z]+\s+){{0,2}}(?:{_APPS}|{_PAY_APPS})\b"
    ),
    (
        rf"\b(?:{_APPS}|{_PAY_APPS})\s*(?:id|handle|username|user|name|account|acct|number|no|#)?"
        r"\s*(?:is|:|@|=)\s*@?[a-z0-9_.\-]{3,}"
    ),
    rf"\b(?:{_PAY_APPS})\b[^.!?]{{0,30}}@[a-z0-9_.\-]{{2,}}",
    r"(?<![\w$])\$[a-z][a-z0-9_]{2,}\b",  # a Cash App $cashtag
]
_HANDLE = re.compile("|".join(f"(?:{p})" for p in _HANDLE_PATTERNS))

# A bare "name.xx" is a web site only if "xx" is a top-level domain people put sites on, and not
# also a file extension or an abbreviation ("drawing.ai", "part.no", "setup.py").
_WEB_TLDS = frozenset(
    """com net org info biz io co me app dev shop store site online xyz tech page link live life
    world space website club pro top vip us uk ca au de fr es nl be ch at se dk fi pl cz ru ua
    cn hk tw jp kr sg my id ph vn th ng ke gh za eg ma tz ug br mx ar cl pe tr ae sa pk bd
    ly gg tv cc ws la""".split()  # noqa: SIM905 (a word list reads best as words)
)
# File extensions, and words that follow a full stop typed without a space.
_FILE_EXTENSIONS = frozenset(
    "ai ps py md sh rs pl cs js ts ms it is as am so".split()  # noqa: SIM905
)


class ContactFilter:
    """``find(text)`` lists the contact information in ``text``; an empty list means clean."""

    def __init__(self, regions: Iterable[str] = DEFAULT_REGIONS):
        self.regions = tuple(regions) or DEFAULT_REGIONS
        self._links = LinkifyIt(options={"fuzzy_ip": True})

    @classmethod
    def from_setting(cls, regions: object) -> "ContactFilter":
        """``MARKETPLACE_REGIONS``: ISO 3166 codes, comma-separated or a list (unset: US,GB)."""
        items = regions if isinstance(regions, (list, tuple)) else str(regions or "").split(",")
        return cls(code for code in (str(item).strip().upper() for item in items) if code)

    def refuse(self, texts: Mapping[str, str | None]) -> None:
        """Raise ``InvalidRequest`` naming what was found in which field, if anything was.

        ``texts`` maps a field's name to the free text sent in it. The caller exempts staff.
        """
        found = {field: self.find(text) for field, text in texts.items() if text}
        found = {field: findings for field, findings in found.items() if findings}
        if not found:
            return
        everything = [finding for findings in found.values() for finding in findings]
        raise InvalidRequest(
            describe(everything),
            {
                "errors": {field: [describe(findings)] for field, findings in found.items()},
                "contact_details": [
                    {"field": field, "kind": finding.kind, "found": finding.found}
                    for field, findings in found.items()
                    for finding in findings
                ],
            },
        )

    def find(self, text: str) -> list[Finding]:
        if not text or not text.strip():
            return []
        normal = normalise(text)
        findings = self._links_in(normal)
        findings += [Finding(HANDLE, m.group().strip()) for m in _HANDLE.finditer(normal)]
        findings += self._phones_in(normal)
        return _distinct(findings)

    def _links_in(self, text: str) -> list[Finding]:
        findings = []
        for match in self._links.match(text) or ():
            raw = match.raw
            if match.schema == "mailto:":
                findings.append(Finding(EMAIL, raw))
            elif match.schema or raw.startswith("www.") or "/" in raw or _is_web_site(raw):
                findings.append(Finding(URL, raw))
        return findings

    def _phones_in(self, text: str) -> list[Finding]:
        candidates = _collapse_digit_groups(_mask_ordinary_numbers(text))
        findings = []
        for region in self.regions:
            for match in phonenumbers.PhoneNumberMatcher(
                candidates, region, leniency=phonenumbers.Leniency.POSSIBLE
            ):
                if sum(c.isdigit() for c in match.raw_string) >= MIN_PHONE_DIGITS:
                    findings.append(Finding(PHONE, match.raw_string))
        return findings


def _is_web_site(host: str) -> bool:
    tld = host.rsplit(".", 1)[-1]
    return tld in _WEB_TLDS and tld not in _FILE_EXTENSIONS


def _distinct(findings: list[Finding]) -> list[Finding]:
    seen: dict[tuple[str, str], Finding] = {}
    for finding in findings:
        seen.setdefault((finding.kind, finding.found), finding)
    return list(seen.values())


def describe(findings: list[Finding]) -> str:
    """The refusal a person reads: what was found, and why it may not be sent."""
    found = "; ".join(f.reason for f in findings)
    return (
        f"This text contains {found}. Sharing contact details or moving the conversation or "
        f"payment off the platform is not allowed; keep talking here."
    )
