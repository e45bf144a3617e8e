"""Two recordings that check each other: the branch node's own recording of its participant and
the hub's account of it.

While a session runs, the node announces each segment it closes (index, SHA-256, tracks) into
the hub's sealed event log. After the session the node sends the manifest of the files it keeps
and the hub answers with its own manifest and what it witnessed. Each side then compares the
node's files with the hub's witness on its own: a segment whose hash differs, or one the hub
saw that the node no longer has, is a disagreement. A segment the node closed while its link
to the hub was down (the hub ended first) was never announced: it is listed as unwitnessed,
not flagged.
Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Comparison", "Disagreement", "compare_segments", "held_by_index"]


@dataclass(frozen=True)
class Disagreement:
    index: int
    problem: str  # "hash_differs" | "missing_at_branch"
    hub_sha256: str | None
    branch_sha256: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "problem": self.problem,
            "hub_sha256": self.hub_sha256,
            "branch_sha256": self.branch_sha256,
        }


def held_by_index(segments: Iterable[Mapping[str, Any]]) -> dict[int, str]:
    """``{index: sha256}`` of a list of segment entries (the manifests' shape)."""
    return {int(s["index"]): str(s["sha256"]) for s in segments}


@dataclass(frozen=True)
class Comparison:
    disagreements: tuple[Disagreement, ...]
    unwitnessed: tuple[int, ...]  # indexes the branch holds that the hub never saw announced

    def as_json(self) -> dict[str, Any]:
        return {
            "agree": not self.disagreements,
            "disagreements": [d.as_json() for d in self.disagreements],
            "unwitnessed": list(self.unwitnessed),
        }


def compare_segments(witnessed: Mapping[int, str], branch: Mapping[int, str]) -> Comparison:
    """Where the hub's witness (``{index: sha256}``) and the branch's files disagree."""
    found, unwitnessed = [], []
    for index in sorted(set(witnessed) | set(branch)):
        seen, held = witnessed.get(index), branch.get(index)
        if seen == held:
            continue
        if seen is None:
            unwitnessed.append(index)
        else:
            problem = "missing_at_branch" if held is None else "hash_differs"
            found.append(Disagreement(index, problem, seen, held))
    return Comparison(tuple(found), tuple(unwitnessed))
