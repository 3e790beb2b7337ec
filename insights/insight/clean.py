"""Activity text as the model needs it: what was said in this activity, not the thread around it.

Applied where a body enters the prompt (``budget.render_activity``, ``compact.CompactLayout``), never
to what the API serves.
Strips quoted replies (``On … wrote:`` and everything after, ``>`` lines, forwarded or original
message blocks), repeated header lines (``From:``, ``Sent:``, ``To:``, ``Subject:`` …), signatures
(``-- `` and the usual sign-offs with the few lines under them, "Sent from my …") and legal
disclaimers, collapses blank runs, then cuts what is still long at a sentence or word boundary with
a marker, so the model knows text is missing. Each rule removes text another activity already holds
(the quoted message is its own activity) or that carries no fact (signatures, disclaimers).
"""

from __future__ import annotations

import re

CUT_MARKER = " …[trimmed]"
# where a quoted thread starts: everything from here on is an earlier message
_THREAD_START = re.compile(
    r"^\s*(?:On\b.{0,200}\bwrote:\s*$"  # On Mon, 3 Nov 2026, Priya <p@x> wrote:
    r"|-{2,}\s*(?:Original Message|Forwarded message)\s*-{2,}"
    r"|Begin forwarded message:"
    r"|_{10,}\s*$)",  # Outlook's rule above the quoted header block
    re.I | re.M,
)
_HEADER_LINE = re.compile(r"^\s*(?:From|Sent|To|Cc|Bcc|Date|Subject|Reply-To)\s*:.*$", re.I | re.M)
_SIGN_OFF = re.compile(
    r"^\s*(?:--\s*|(?:best|kind|warm)?\s*regards,?|best,|thanks,|thank you,|cheers,|sincerely,)\s*$",
    re.I,
)
_DEVICE = re.compile(r"^\s*(?:Sent from my \w+.*|Get Outlook for \w+.*)$", re.I | re.M)
_DISCLAIMER = re.compile(
    r"(?:^|\n)[^\n]*\b(?:this (?:e-?mail|message)(?: and any (?:files|attachments)[^.]*)?"
    r" (?:is|are|may be) (?:confidential|intended solely|privileged)"
    r"|confidentiality notice|disclaimer:)[\s\S]*$",
    re.I,
)
SIGNATURE_LINES = 6  # at most this many short lines under a sign-off are taken for a signature


def strip_quoted(text: str) -> str:
    m = _THREAD_START.search(text)
    if m is not None and m.start() > 0:  # a body that is only a quote keeps it
        text = text[: m.start()]
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">"))


def strip_signature(text: str) -> str:
    lines = text.splitlines()
    for i in range(len(lines) - 1, 0, -1):  # the last sign-off, with only a short block under it
        if _SIGN_OFF.match(lines[i]):
            tail = [t for t in lines[i + 1 :] if t.strip()]
            if len(tail) <= SIGNATURE_LINES and all(len(t) <= 80 for t in tail):
                return "\n".join(lines[:i])
            break
    return text


def cut(text: str, limit: int, marker: str = CUT_MARKER) -> str:
    """``text`` within ``limit`` characters, cut after a sentence (or else a word), with the marker."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    sentence = max(head.rfind(". "), head.rfind("? "), head.rfind("! "), head.rfind("\n"))
    # a sentence end in the second half, else the last whole word
    head = head[: sentence + 1] if sentence >= limit // 2 else head.rsplit(" ", 1)[0]
    return head.rstrip() + marker


def clean_body(text: str | None, limit: int) -> str:
    """The body the prompt shows: noise stripped, at most ``limit`` characters (marker included)."""
    if not text:
        return ""
    text = strip_quoted(text.replace("\r\n", "\n"))
    text = _HEADER_LINE.sub("", text)
    text = _DEVICE.sub("", text)
    text = _DISCLAIMER.sub("", text)
    text = strip_signature(text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return cut(text, limit)
