"""The scale generator: deterministic, counts as asked, dependency order, and importable."""

from __future__ import annotations

import json
from pathlib import Path

from insights.crm.generate import generate
from insights.crm.importer import import_records
from insights.crm.reader import iter_file

ACTIVITY_TYPES = {"emails", "calls", "meetings", "notes", "tasks"}
SIZE = {"deals": 50, "activities": 2000, "users": 20}


def make(tmp_path: Path, seed: int, name: str = "scale.jsonl") -> Path:
    out = tmp_path / name
    generate(out, seed=seed, **SIZE)
    return out


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    a, b, c = make(tmp_path, 7, "a.jsonl"), make(tmp_path, 7, "b.jsonl"), make(tmp_path, 8, "c.jsonl")
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_counts_stats_and_progress(tmp_path: Path) -> None:
    seen: list[int] = []
    out = tmp_path / "s.jsonl"
    stats = generate(out, seed=1, progress=seen.append, **SIZE)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    counts: dict[str, int] = {}
    for line in lines:
        assert set(line) == {"type", "record"}
        counts[line["type"]] = counts.get(line["type"], 0) + 1
    assert counts["account"] == 1 and counts["deals"] == 50 and counts["owners"] == 20
    assert sum(n for t, n in counts.items() if t in ACTIVITY_TYPES) == 2000
    assert set(counts) >= ACTIVITY_TYPES | {"teams", "permission_sets", "pipelines", "companies", "contacts"}
    assert 15 <= counts["teams"] <= 25 and counts["companies"] == 25 and counts["contacts"] >= 50
    assert (stats.deals, stats.activities, stats.users, stats.contacts) == (50, 2000, 20, counts["contacts"])
    assert stats.bytes == out.stat().st_size
    assert seen and seen[-1] == 2000 and seen == sorted(seen)


def test_references_point_to_earlier_records(tmp_path: Path) -> None:
    seen: dict[str, set[str]] = {}
    parents_depth: dict[str, int] = {}
    for raw in make(tmp_path, 3).read_text().splitlines():
        line = json.loads(raw)
        kind, r = line["type"], line["record"]
        if kind == "teams":
            parent = r["parentTeamId"]
            assert parent is None or parent in seen["teams"]
            parents_depth[r["id"]] = 0 if parent is None else parents_depth[parent] + 1
        if kind == "owners":
            assert {m["id"] for m in r["teams"]} <= seen["teams"] and r["permissionSetId"] in seen[
                "permission_sets"
            ]
        props = r.get("properties", {})
        if "hubspot_owner_id" in props:
            assert props["hubspot_owner_id"] in seen["owners"]
        if kind == "deals":
            assert props["pipeline"] in seen["pipelines"]
        for key, value in r.get("associations", {}).items():
            assert {row["id"] for row in value["results"]} <= seen[key], (kind, r["id"], key)
        if kind != "account":
            assert all(isinstance(v, str) for v in props.values())
            seen.setdefault(kind, set()).add(r["id"])
    assert max(parents_depth.values()) == 2  # a three-level team tree


def test_activities_look_real(tmp_path: Path) -> None:
    lines = [json.loads(line) for line in make(tmp_path, 5).read_text().splitlines()]
    bodies = [
        v
        for line in lines
        if line["type"] in ACTIVITY_TYPES
        for k, v in line["record"]["properties"].items()
        if k in ("hs_email_text", "hs_call_body", "hs_meeting_body", "hs_note_body", "hs_task_body")
    ]
    assert len(bodies) == 2000 and all(50 <= len(b) <= 400 for b in bodies)
    owners = {
        line["record"]["properties"]["hubspot_owner_id"] for line in lines if line["type"] in ACTIVITY_TYPES
    }
    assert len(owners) > 10  # spread so that scopes matter
    users = [line["record"] for line in lines if line["type"] == "owners"]
    assert any(len(u["teams"]) > 1 for u in users)
    assert {u["permissionSetId"] for u in users} == {"rep", "manager", "admin"}
    assert any("propertiesWithHistory" in line["record"] for line in lines if line["type"] == "deals")


async def test_generated_file_imports_without_rejections(tmp_path: Path, sessionmaker) -> None:
    out = tmp_path / "small.jsonl"
    generate(out, deals=10, activities=300, users=8, seed=2)
    async with sessionmaker() as s:
        report = await import_records(s, iter_file(out))
        await s.commit()
    assert report.rejected == []
