"""Patterns that look like protected health information: emails, phone numbers, SSNs, medical
record numbers, dates of birth and street addresses.

Tuned for medical text: doses ("500 mg"), ranges ("every 4-6 hours"), blood pressure ("120/80"),
lab values ("150,000-450,000"), ages, years and public help lines (toll-free, 988, 911) must not
warn, while real identifiers must. Identifiers that are ambiguous without context (a bare date, a
bare number) only count next to a keyword ("DOB", "MRN"). Matches are shown masked so a report
does not copy the identifier it warns about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = {
    "email": "an email address",
    "phone": "a phone number",
    "ssn": "a US social security number",
    "mrn": "a medical record number",
    "dob": "a date of birth",
    "address": "a street address",
}

# Every pattern is linear in the text: repeats are bounded (an address's local part is at most 64
# characters, a domain label 63) and no two whitespace runs can stand next to each other, so a
# keyword followed by 30,000 spaces costs one pass, not 30,000 (the scan holds the interpreter lock:
# a quadratic pattern froze the TUI for half a minute on one long field).
_EMAIL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}")

_SSN = re.compile(
    r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])"
    r"|(?i:\b(?:ssn|social security (?:number|no\.?|#))\s*(?:is\s+)?(?:[:#]\s*)?)\d{9}\b"
)

# North American numbers written as phone numbers (separators required: a bare 10-digit run is
# more often an id or a count), and international numbers written with a leading +.
_PHONE = re.compile(
    r"(?<![\w/.,-])(?:\+?1[\s.-]?)?(?:\((\d{3})\)\s?|(\d{3})[\s.-])\d{3}[\s.-]\d{4}(?![\w/-]|[.,]\d)"
    r"|(?<![\w+])\+(?!1[\s.-])\d{1,3}(?:[\s.-]?\(?\d{1,4}\)?){2,5}(?![\w/-])"
)
# Help lines and organisations publish these; they identify no patient.
_TOLL_FREE = {"800", "822", "833", "844", "855", "866", "877", "888"}

_MRN = re.compile(
    r"(?i:\b(?:mrn|medical record (?:number|no\.?|#)|med\.? rec\.? (?:no\.?|#)|patient (?:id|number|no\.?|#)"
    r"|chart (?:number|no\.?|#)|hospital (?:number|no\.?))\s*(?:is\s+)?(?:[:#.]\s*)?)"
    r"(?=[A-Z]{0,3}-?\d)[A-Z]{0,3}-?\d{5,12}\b"
)

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b|\d{4}-\d{1,2}-\d{1,2}\b"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}\b)"
)
_DOB = re.compile(
    r"(?i:\b(?:dob|d\.o\.b\.?|date of birth|birth ?date|birthday|born(?: on)?)\s*(?:(?:is|was)\s+)?(?:[:\-]\s*)?)" + _DATE
)

_SUFFIX = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Terrace|Way"
    r"|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Crescent|Close|Row)"
)
_ADDRESS = re.compile(
    r"\b\d{1,6}[A-Za-z]?\s+(?:[NSEW]\.?\s+)?(?:[A-Z][a-z]+\s+){1,3}" + _SUFFIX + r"\b(?!-)"
    r"|\bP\.?\s?O\.?\s+Box\s+\d+"
)


@dataclass(frozen=True)
class Finding:
    kind: str      # email | phone | ssn | mrn | dob | address
    start: int     # character offset in the text
    masked: str    # the match with most characters hidden


def mask(text: str, kind: str) -> str:
    if kind == "email":
        local, _, domain = text.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = sum(ch.isdigit() for ch in text)
    kept, out = 0, []
    for ch in text:
        if ch.isdigit():
            kept += 1
            out.append(ch if kept > digits - 2 else "*")
        else:
            out.append(ch)
    return "".join(out)


def _phone_ok(match: re.Match) -> bool:
    area = match.group(1) or match.group(2)
    if area is not None:
        return area not in _TOLL_FREE and area[0] not in "01"
    digits = sum(ch.isdigit() for ch in match.group(0))
    return 8 <= digits <= 15


# One scan that every phone number, SSN and street address must pass: most texts (doses, ages,
# years) fail it, so the specific patterns run only where they could match.
_DIGIT_CANDIDATE = re.compile(
    # the shared leading \d is factored out so the engine can skip to digits
    r"\d(?:\d{2}[\s.-]\d{4}|\d{2}-\d{2}-\d{4}|\d{8}|[A-Za-z]?\s+(?:[NSEW]\.?\s+)?[A-Z][a-z])|\+\d|Box\s+\d"
)
_MRN_WORDS = ("mrn", "medical record", "med rec", "med. rec", "patient id", "patient n", "patient #", "chart n",
              "chart #", "hospital n")
_DOB_WORDS = ("dob", "d.o.b", "birth", "born")


def find_phi(text: str) -> list[Finding]:
    """Every PHI-looking span in `text`, in order of appearance."""
    findings: list[Finding] = []
    if "@" in text:
        for m in _EMAIL.finditer(text):
            findings.append(Finding("email", m.start(), mask(m.group(0), "email")))
    if _DIGIT_CANDIDATE.search(text) is not None:
        ssn_spans = []
        for m in _SSN.finditer(text):
            ssn_spans.append(m.span())
            findings.append(Finding("ssn", m.start(), mask(m.group(0), "ssn")))
        for m in _PHONE.finditer(text):
            if _phone_ok(m) and not any(s <= m.start() < e for s, e in ssn_spans):
                findings.append(Finding("phone", m.start(), mask(m.group(0), "phone")))
        for m in _ADDRESS.finditer(text):
            findings.append(Finding("address", m.start(), mask(m.group(0), "address")))
    lowered = text.lower()
    if any(word in lowered for word in _MRN_WORDS):
        for m in _MRN.finditer(text):
            findings.append(Finding("mrn", m.start(), mask(m.group(0), "mrn")))
    if any(word in lowered for word in _DOB_WORDS):
        for m in _DOB.finditer(text):
            findings.append(Finding("dob", m.start(), mask(m.group(0), "dob")))
    findings.sort(key=lambda f: f.start)
    return findings
