from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from watchhouse import audit, records
from watchhouse.access import Viewer
from watchhouse.people.evidence import LinkEvidence, evidence_for
from watchhouse.search import PersonHit, PersonQuery, search_people_for


@dataclass
class PersonProfile:
    view: records.PersonView
    events: list[records.PersonEvent]
    cases: list[records.PersonCase]
    linked_people: list[records.LinkedPerson]
    addresses: list[records.AddressSpell]
    objects: list[tuple[records.SourceRecordView, list[records.RoleVia]]]
    viewed_by: list[audit.AuditEntry] = field(default_factory=list)
    # Why each source record is under this person: its strongest link to another visible record.
    link_evidence: list[LinkEvidence] = field(default_factory=list)

    @property
    def record_ids(self) -> list[str]:
        return [f"person:{self.view.master_id}"] + [f"person-record:{r.id}" for r in self.view.records]


def _require_purpose(viewer: Viewer) -> str:
    if not (viewer.purpose or "").strip():
        raise ValueError("a stated purpose is required to look up a person")
    return viewer.purpose.strip()


def find_people(engine: Engine, viewer: Viewer, query: PersonQuery, *, client: str, limit: int = 20) -> list[PersonHit]:
    """Search, audited with its terms and what it returned."""
    purpose = _require_purpose(viewer)
    with engine.begin() as connection:
        hits = search_people_for(connection, viewer, query, limit=limit)
        audit.record(connection, actor=viewer.user_id, action="search", purpose=purpose, client=client,
                     record_ids=[f"person:{hit.master_id}" for hit in hits],
                     detail={"terms": query.terms(), "results": len(hits)})
    return hits


def person_profile(engine: Engine, viewer: Viewer, master_id: int, *, client: str,
                   with_viewers: bool = False) -> PersonProfile | None:
    """Everything the viewer may see about one person, audited as a consultation.

    None both when the person does not exist and when nothing of them is visible to the viewer,
    so the answer never reveals that a hidden person exists. The refusal is audited too.
    """
    purpose = _require_purpose(viewer)
    with engine.begin() as connection:
        parts = records.person_parts(connection, viewer, master_id)  # each record and link read once
        if parts is None:
            audit.record(connection, actor=viewer.user_id, action="consultation", purpose=purpose, client=client,
                         record_ids=[f"person:{master_id}"], detail={"outcome": "not found or not visible"})
            return None
        view = parts.view
        profile = PersonProfile(
            view=view,
            events=parts.events,
            cases=parts.cases,
            linked_people=parts.linked_people,
            addresses=parts.addresses,
            objects=parts.objects,
            link_evidence=evidence_for(connection, view.records),
        )
        audit.record(connection, actor=viewer.user_id, action="consultation", purpose=purpose, client=client,
                     record_ids=profile.record_ids,
                     detail={"withheld_fields": sorted(view.withheld), "events": len(profile.events)})
    if with_viewers:
        profile.viewed_by = audit.viewers_of(engine, f"person:{master_id}")
    return profile


@dataclass
class Graph:
    """A link chart: people, events, objects, locations and cases, and the roles between them."""

    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]


def _event_label(event: records.SourceRecordView) -> str:
    values = event.values
    kind = values.get("event_kind") or "event"
    reference = values.get("reference") or f"#{event.id}"
    return f"{kind} {reference}"


def person_graph(profile: PersonProfile) -> Graph:
    """The chart around one person, built only from what the profile already shows the viewer."""
    centre = f"person:{profile.view.master_id}"
    nodes = {centre: {"id": centre, "kind": "person", "label": profile.view.display_name, "centre": True,
                      "master_id": profile.view.master_id}}
    edges: list[dict[str, Any]] = []

    def add_edge(a: str, b: str, role: str) -> None:
        edges.append({"source": a, "target": b, "role": role})

    for item in profile.events:
        node_id = f"event:{item.event.id}"
        nodes[node_id] = {"id": node_id, "kind": "event", "label": _event_label(item.event),
                          "when": str(item.event.values.get("occurred_at") or item.event.values.get("reported_at") or "")}
        for via in item.roles:
            add_edge(centre, node_id, via.role)
    for item in profile.cases:
        node_id = f"case:{item.case.id}"
        nodes[node_id] = {"id": node_id, "kind": "case", "label": item.case.values.get("reference") or f"case #{item.case.id}",
                          "case_id": item.case.id}
        for via in item.roles:
            add_edge(centre, node_id, via.role)
        for event_id in item.via_events:
            if f"event:{event_id}" in nodes:
                add_edge(f"event:{event_id}", node_id, "part of")
    for obj, roles in profile.objects:
        node_id = f"object:{obj.id}"
        label = obj.values.get("identifier") or obj.values.get("description") or obj.values.get("object_kind")
        nodes[node_id] = {"id": node_id, "kind": "object", "label": str(label or f"object #{obj.id}")}
        for via in roles:
            add_edge(centre, node_id, via.role)
    for spell in profile.addresses:
        if not (spell.address or spell.postcode):
            continue
        node_id = f"address:{(spell.postcode or spell.address or '').replace(' ', '').lower()}"
        nodes[node_id] = {"id": node_id, "kind": "location", "label": " ".join(
            str(p) for p in ((spell.address or "").split("\n")[0], spell.postcode) if p)}
        add_edge(centre, node_id, "resident")
    for linked in profile.linked_people:
        node_id = f"person:{linked.master_id}"
        nodes.setdefault(node_id, {"id": node_id, "kind": "person", "label": linked.display_name,
                                   "master_id": linked.master_id})
        for connection in linked.connections:
            if connection.kind == "shared-event" and connection.event_id and f"event:{connection.event_id}" in nodes:
                add_edge(f"event:{connection.event_id}", node_id, connection.their_role)
            else:
                add_edge(centre, node_id, connection.their_role)
    unique = {(e["source"], e["target"], e["role"]): e for e in edges}
    return Graph(nodes=list(nodes.values()), edges=list(unique.values()))


def case_profile(engine: Engine, viewer: Viewer, case_id: int, *, client: str):
    """A case with everything linked to it that the viewer may see, audited; None if not visible."""
    purpose = _require_purpose(viewer)
    with engine.begin() as connection:
        case = records.get_record(connection, viewer, "case", case_id)
        linked = records.linked_records(connection, viewer, "case", case_id) if case else None
        audit.record(connection, actor=viewer.user_id, action="consultation", purpose=purpose, client=client,
                     record_ids=[f"case:{case_id}"],
                     detail={"outcome": "shown" if case else "not found or not visible"})
    if case is None:
        return None
    return case, linked or []

