"""Date and time cells of datasets as people keep them, with day/month order decided per column.

Read forms: ISO 8601 (``2015-01-06T21:07:00Z``, ``2015-01-06 21:07``), Unix seconds or
milliseconds, Excel serial dates (``42010.88``: days since 1899-12-30), numeric dates
``M/D/YYYY H:MM``, ``D/M/YYYY``, ``D.M.YYYY``, ``D-M-YYYY`` (two-digit years too, 12-hour
clock with AM/PM), RFC 2822 (``Tue, 06 Jan 2015 21:07:00 +0000``), the classic X API
``created_at`` (``Tue Jan 06 21:07:00 +0000 2015``) and month names (``6 Jan 2015``,
``January 6, 2015 9:07 PM``).  A time without a zone is taken as UTC.

Whether ``1/6/2015`` is the 1st of June or the 6th of January cannot be told from the value:
:func:`scan_column` decides it for the whole column, a value whose first or second part is
over 12 settles it (``13/6/2015`` is day first).  A column where no value settles it has no
answer: :class:`DatePlan` then refuses the ambiguous values and the caller stops with an
error naming two of them (dotted dates alone default to day first, the convention wherever
dots are used).  Python's ``strptime`` and ``email.utils`` do the parsing; what no library
does is the column-wide decision, written here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from ..model import parse_time, utc

#: Day 0 of Excel's (1900) date system, with its 1900 leap-year bug folded in.
EXCEL_EPOCH = datetime(1899, 12, 30, tzinfo=UTC)
#: Numbers below this are Excel serial days (up to year 9999), above it Unix time.
EXCEL_MAX = 2_958_466
#: Values looked at for a column's shape before giving up on finding ambiguous dates.
SHAPE_SAMPLE = 1000

_NUMERIC = re.compile(
    r"(\d{1,4})([/.\-])(\d{1,2})\2(\d{2,4})"
    r"(?:(?:\s+|T|,\s*)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?\s*([AaPp]\.?[Mm]\.?)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?"
)
#: Dates with month names (after commas, "at" and dashes between words became spaces), with an
#: optional weekday first and an optional 24- or 12-hour time after.
_NAMED_FORMATS = (
    "%a %b %d %H:%M:%S %z %Y",
    "%a %b %d %H:%M:%S %Y",
    *(
        f"{weekday}{day}{clock}"
        for weekday in ("", "%a ", "%A ")
        for day in ("%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y")
        for clock in ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", " %I %p")
    ),
)
_AMPM = re.compile(r"\b[AaPp]\.?[Mm]\b\.?")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass(slots=True)
class DatePlan:
    """How one column's dates are read: day/month order and whether numbers are Excel days."""

    order: str | None = None  # "DMY", "MDY" or None (undecided)
    excel: bool = False
    reason: str = ""
    ambiguous: list[str] = field(default_factory=list)  # up to two undecidable values seen

    def parse(self, value: Any) -> datetime:
        """One cell as an aware UTC datetime; ValueError when it is no date this plan reads."""
        return parse_date(value, self.order, self.excel)

    def problem(self) -> str | None:
        """Why the column cannot be read as it is (ambiguous values and no order), else None."""
        if self.order is not None or not self.ambiguous:
            return None
        shown = " and ".join(repr(v) for v in self.ambiguous[:2])
        return (
            f"day and month cannot be told apart: no value has a day over 12 (e.g. {shown}); "
            'set "date_order": "DMY" or "MDY"'
        )


def _numeric_parts(text: str) -> tuple[int, int, int, str] | None:
    """(first, second, year, separator) of a numeric date not written year first."""
    m = _NUMERIC.fullmatch(text)
    if m is None or len(m.group(1)) > 2:
        return None
    return int(m.group(1)), int(m.group(3)), int(m.group(4)), m.group(2)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return float(value.strip())
    return None


def scan_column(values: Iterable[Any], order: str | None = None) -> DatePlan:
    """The plan for a column, from its values (consumed lazily: the scan stops as soon as the
    order is settled, or after SHAPE_SAMPLE values when none is an ambiguous numeric date).
    ``order`` ("DMY"/"MDY") is the user's choice and skips the decision."""
    plan = DatePlan(order=order.upper() if order else None)
    if plan.order:
        plan.reason = f"day/month order {plan.order} (mapping file)"
    seen_numeric = dotted = False
    for index, value in enumerate(values):
        number = _number(value)
        if number is not None and not seen_numeric:
            seen_numeric = True
            plan.excel = 0 < number < EXCEL_MAX
        if plan.order is not None:
            if seen_numeric or index >= SHAPE_SAMPLE:
                break
            continue
        parts = _numeric_parts(value.strip()) if isinstance(value, str) else None
        if parts is None:
            if index >= SHAPE_SAMPLE and not plan.ambiguous:
                break
            continue
        first, second, _, sep = parts
        dotted = dotted or sep == "."
        if first > 12 >= second:
            plan.order, plan.reason = "DMY", f"day first: {value.strip()!r} has a day over 12"
        elif second > 12 >= first:
            plan.order, plan.reason = "MDY", f"month first: {value.strip()!r} has a day over 12"
        elif value.strip() not in plan.ambiguous and len(plan.ambiguous) < 2:
            plan.ambiguous.append(value.strip())
    if plan.order is None and plan.ambiguous and dotted:
        plan.order, plan.reason = "DMY", "day first: dotted dates (D.M.YYYY), no value decides otherwise"
    if not plan.reason:
        plan.reason = "Excel serial dates" if seen_numeric and plan.excel else "unambiguous forms"
    elif seen_numeric and plan.excel:
        plan.reason += "; numbers are Excel serial dates"
    return plan


def parse_date(value: Any, order: str | None = None, excel: bool = False) -> datetime:
    """``value`` (a cell) as an aware UTC datetime.  ``order`` settles numeric day/month dates;
    ``excel`` reads numbers below EXCEL_MAX as Excel serial days instead of Unix time."""
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    number = _number(value)
    if number is not None:
        if excel and 0 < number < EXCEL_MAX:
            return EXCEL_EPOCH + timedelta(days=number)
        return parse_time(int(number) if number.is_integer() else number)
    if not isinstance(value, str):
        raise ValueError(f"not a date: {value!r}")
    text = " ".join(value.split())
    if not text:
        raise ValueError("empty date")
    m = _NUMERIC.fullmatch(text)
    if m is not None and len(m.group(1)) <= 2:  # D/M/Y or M/D/Y: the common case of scraped data
        return _from_numeric(m, order, value)
    try:
        return parse_time(text)  # ISO 8601
    except ValueError:
        pass
    if m is not None:
        return _from_numeric(m, order, value)
    cleaned = text.replace(",", " ").replace(" at ", " ")
    if any(c.isalpha() for c in cleaned):  # 06-Jan-2015: dashes between words
        cleaned = re.sub(r"(?<=\w)-(?=[A-Za-z])|(?<=[A-Za-z])-(?=\d)", " ", cleaned)
    cleaned = (
        " ".join(cleaned.replace(".", "").split()) if _AMPM.search(cleaned) else " ".join(cleaned.split())
    )
    for fmt in _NAMED_FORMATS:
        try:
            return utc(datetime.strptime(cleaned, fmt))
        except ValueError:
            continue
    if not _AMPM.search(text):  # the e-mail parser would drop an AM/PM
        try:
            return utc(parsedate_to_datetime(text))  # RFC 2822 (zone names such as PDT too)
        except (TypeError, ValueError, IndexError):
            pass
    raise ValueError(f"not a date in any known form: {value!r}")


def _from_numeric(m: re.Match[str], order: str | None, original: str) -> datetime:
    a, sep, b, c = m.group(1), m.group(2), m.group(3), m.group(4)
    if len(a) == 4:
        year, month, day = int(a), int(b), int(c)
    else:
        first, second = int(a), int(b)
        if order is None and sep == "." and first <= 12 and second <= 12:
            order = "DMY"
        if order is None:
            if first > 12 >= second:
                order = "DMY"
            elif second > 12 >= first:
                order = "MDY"
            else:
                raise ValueError(f"ambiguous day and month: {original!r}")
        day, month = (first, second) if order == "DMY" else (second, first)
        year = int(c)
        if len(c) == 2:
            year += 2000 if year < 69 else 1900  # strptime's %y pivot
    hour = int(m.group(5) or 0)
    minute, second_ = int(m.group(6) or 0), int(m.group(7) or 0)
    micro = int((m.group(8) or "0").ljust(6, "0")[:6])
    ampm = (m.group(9) or "").replace(".", "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            raise ValueError(f"bad 12-hour time: {original!r}")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    tz = _zone(m.group(10))
    return datetime(year, month, day, hour, minute, second_, micro, tzinfo=tz).astimezone(UTC)


def _zone(text: str | None) -> timezone:
    if not text or text in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
