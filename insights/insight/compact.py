"""The compact timeline (prompt ``v2``): the same activities as ``budget.FullLayout`` in fewer tokens.

What it saves against the whole timeline pasted, measured on demo deal 9005 (``bench_pipeline``):
- one fence around the whole timeline instead of one per body, so titles and senders (text an
  outsider wrote) are inside the data too; a body line that would read as a header is indented;
- the date once per day (a day line), no time of day (no prompt asks for it);
- one header line per activity: ``[id] type · title · details``, the sender as a visible contact's
  name when the address is theirs, the call's status, the meeting's outcome, no empty fields;
- a sentence a newer activity already shows (a template, a signature the cleaner missed, a pasted
  paragraph) is shown once, in the newest activity, and ``(repeat)`` stands in the older ones;
- the newest ``FULL_RECENT`` activities keep their bodies (up to the body limit); older ones keep
  their id, day, header and an excerpt of ``OLDER_CHARS`` (greeting skipped), cut with a marker.
The ids the model cites are whole in every header; ``pack`` decides what fits the budget.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from insights.insight.clean import clean_body, cut
from insights.insight.context import ActivityItem, DealContext
from insights.insight.retrieval import REDACTED

FENCE_OPEN, FENCE_CLOSE = "<<<DATA", "DATA>>>"
FULL_RECENT = 10  # newest activities shown whole: the recent summary's five and the days around them
OLDER_CHARS = 60  # an older activity's excerpt: about its first ten words
REPEAT = "(repeat)"
MIN_REPEAT_CHARS = 25  # shorter sentences ("Thanks.", "See you Monday.") are not worth a marker
OLDER_MARKER = " …"
LEGEND = (
    "Activities, newest first, by day. Each starts with a line [id] type · title · details; "
    f"{REPEAT} stands for a sentence a newer activity shows; … marks cut text."
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_GREETING = re.compile(r"^(?:hi|hello|hey|dear|good (?:morning|afternoon))\b[^,.!\n]{0,40}[,!]\s*", re.I)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # %b: locale
DAY_LINE = r"\d{1,2} [A-Z][a-z]{2}(?: \d{4})?$"  # 30 Nov, 1 Dec 2026
_LOOKS_LIKE_HEADER = re.compile(rf"^(?=\[|{DAY_LINE})", re.M)


def unfenced(text: str) -> str:
    """Data that cannot end the fence early (the marker is broken up inside data)."""
    return text.replace(FENCE_CLOSE, "DATA> >>").replace(FENCE_OPEN, "<< <DATA")


def defuse(text: str) -> str:
    """A body that cannot end the fence early nor pass for a header or a day line of the layout."""
    return _LOOKS_LIKE_HEADER.sub(" ", unfenced(text))


def _key(sentence: str) -> str:
    return " ".join(sentence.lower().split())


def sentences_of(text: str) -> list[str]:
    """The sentences of ``text`` (a repeat marker ends one too)."""
    lines = text.replace(REPEAT, "\n").split("\n")
    return [s.strip() for line in lines for s in _SENTENCE_END.split(line) if s.strip()]


def without_repeats(text: str, seen: set[str]) -> str:
    """``text`` with each sentence already in ``seen`` (or earlier in ``text``) replaced by the marker."""
    here: set[str] = set()
    lines = []
    for line in text.split("\n"):
        parts: list[str] = []
        for s in _SENTENCE_END.split(line):
            k = _key(s)
            if len(k) >= MIN_REPEAT_CHARS and (k in seen or k in here):
                if not parts or parts[-1] != REPEAT:
                    parts.append(REPEAT)
                continue
            here.add(k)
            parts.append(s)
        lines.append(" ".join(parts))
    return "\n".join(line for line in lines if line.strip())


@dataclass
class CompactLayout:
    """Renders blocks newest first; ``accept`` commits a block's day and sentences once ``pack`` keeps
    it, so a block that did not fit leaves no trace in the ones after it."""

    ctx: DealContext
    full_recent: int = FULL_RECENT
    older_chars: int = OLDER_CHARS
    seen: set[str] = field(default_factory=set)  # sentences kept blocks show
    day: date | None = None  # of the last block kept: a day line starts each new day
    cut_text: bool = False  # a kept older activity's excerpt left text out
    _pending: tuple[date, set[str], bool] | None = None
    _names: dict[str, str] = field(default_factory=dict)

    sep = "\n"
    tail = FENCE_CLOSE

    def __post_init__(self) -> None:
        # a visible contact's address -> their first name (full name when two share it)
        firsts = [c.name.split()[0] for c in self.ctx.contacts if c.name.strip()]
        for c in self.ctx.contacts:
            if c.email and c.name.strip():
                first = c.name.split()[0]
                self._names[c.email.lower()] = first if firsts.count(first) == 1 else c.name

    def head(self, deal_text: str) -> str:
        return f"{deal_text}\n\n{LEGEND}\n{FENCE_OPEN}"

    def _who(self, address: str) -> str:
        return self._names.get(address.lower(), address)

    def header(self, a: ActivityItem) -> str:
        """``[id] type · title · details`` on one line: the id whole, no empty field."""
        kind = a.type
        if a.type == "email":
            to = [t for t in a.to_emails if t != REDACTED][:3]  # a hidden address says nothing
            if (a.email_direction or "").upper().startswith("INCOMING") or not to:
                kind += f" from {self._who(a.from_email or '?')}"
            else:
                kind += " to " + ", ".join(self._who(t) for t in to)
        parts = [f"[{a.id}] {kind}"]
        if a.title:
            parts.append(" ".join(a.title.split()))  # one line, whatever the subject held
        if a.type == "meeting" and a.meeting_outcome:
            parts.append(a.meeting_outcome.lower())
        if a.type == "call" and (a.call_status or a.call_disposition):
            # a disposition (connected, no answer…) says the call took place: "completed" adds nothing
            status = a.call_status
            if a.call_disposition and (status or "").upper() == "COMPLETED":
                status = None
            parts.append(", ".join(x.lower() for x in (status, a.call_disposition) if x))
        if a.type == "task" and a.task_status:
            parts.append(a.task_status.lower())
        return unfenced(" · ".join(parts))

    def body(self, a: ActivityItem, position: int, limit: int) -> tuple[str, bool]:
        """The body as shown, and whether text was cut from it (a repeat left out is not a cut)."""
        text = without_repeats(clean_body(a.body, 1_000_000), self.seen)
        if position < self.full_recent:
            shown = cut(text, limit)
            return shown, shown != text
        novel = " ".join(_GREETING.sub("", text, count=1).replace(REPEAT, " ").split())
        if not novel:
            return (REPEAT if REPEAT in text else ""), False
        short = cut(novel, min(limit, self.older_chars), OLDER_MARKER)
        was_cut = short != novel
        if REPEAT in text and not was_cut:
            short += OLDER_MARKER  # repeats left out: the activity said more
        return short, was_cut

    def day_line(self, d: date) -> str:
        """``30 Nov``: the year only on the first day line and where it changes (3 tokens, ISO's 7)."""
        year = self.day is None or self.day.year != d.year
        return f"{d.day} {MONTHS[d.month - 1]}" + (f" {d.year}" if year else "")

    def block(self, a: ActivityItem, position: int, limit: int) -> str:
        body, was_cut = self.body(a, position, limit)
        day = a.occurred_at.date()
        lines = [] if day == self.day else ([""] if self.day else []) + [self.day_line(day)]
        lines.append(self.header(a))
        if body:
            lines.append(defuse(body))
        self._pending = (day, {_key(s) for s in sentences_of(body)}, was_cut and position >= self.full_recent)
        return "\n".join(lines)

    def accept(self) -> None:
        assert self._pending is not None
        self.day, keys, was_cut = self._pending
        self.seen |= keys
        self.cut_text = self.cut_text or was_cut
        self._pending = None
