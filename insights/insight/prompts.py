"""Versioned prompt templates: plain files under ``prompts/<version>/``, loaded once.

The version is part of every stored insight and cache key, so a prompt change never serves
answers written for another prompt. Add a version by copying the folder and editing the copy.
``packing.txt`` names how the context is laid out for that version (``budget.LAYOUTS``): the
layout is part of what the model is shown, so it changes only with the version; none is ``full``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from insights.insight.budget import LAYOUTS

PROMPT_VERSION = "v2"
SECTIONS = ("recent_activity", "risks", "buyer_goals")
HERE = Path(__file__).parent.parent / "prompts"  # insights/prompts/<version>/*.txt


@dataclass(frozen=True)
class PromptSet:
    version: str
    system: str
    sections: dict[str, str]
    combined: str
    packing: str = "full"


def versions() -> list[str]:
    return sorted(p.name for p in HERE.iterdir() if p.is_dir() and (p / "system.txt").exists())


@lru_cache
def load_prompts(version: str = PROMPT_VERSION) -> PromptSet:
    """The prompt files of one version; a missing version or file is an error, not a fallback."""
    folder = HERE / version
    if not (folder / "system.txt").exists():
        raise ValueError(f"unknown prompt version {version!r}; known: {', '.join(versions())}")

    def read(name: str) -> str:
        return (folder / f"{name}.txt").read_text(encoding="utf-8").strip()

    packing = read("packing") if (folder / "packing.txt").exists() else "full"
    if packing not in LAYOUTS:
        raise ValueError(f"prompt version {version!r} names an unknown packing {packing!r}; known: {LAYOUTS}")
    return PromptSet(version, read("system"), {s: read(s) for s in SECTIONS}, read("combined"), packing)
