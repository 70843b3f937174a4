"""docs/lifecycle.md's edge table must say exactly what EDGES says, so the docs cannot drift from the code."""

import re
from pathlib import Path

from app.lifecycle.states import ActorType, State
from app.lifecycle.table import EDGES

DOC = Path(__file__).resolve().parents[4] / "docs" / "lifecycle.md"
START, END = "<!-- edge-table", "<!-- /edge-table -->"


def documented_edges(markdown: str) -> dict[tuple[State, State], frozenset[ActorType]]:
    """Rows are `| from-states | to-state | actor types | how |`; a row may list several from-states."""
    section = markdown[markdown.index(START) : markdown.index(END)]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]  # skip header and rule
    edges: dict[tuple[State, State], frozenset[ActorType]] = {}
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        sources = [State(name) for name in re.findall(r"`([a-z_]+)`", cells[0])]
        (target,) = [State(name) for name in re.findall(r"`([a-z_]+)`", cells[1])]
        actors = frozenset(ActorType(name.strip()) for name in cells[2].split(","))
        for source in sources:
            assert (source, target) not in edges, f"{source} → {target} is documented twice"
            edges[(source, target)] = actors
    return edges


def test_the_documented_edge_table_is_exactly_the_code() -> None:
    documented = documented_edges(DOC.read_text(encoding="utf-8"))
    missing = sorted(f"{a} → {b}" for (a, b) in EDGES.keys() - documented.keys())
    invented = sorted(f"{a} → {b}" for (a, b) in documented.keys() - EDGES.keys())
    assert not missing, f"edges in the code but not in docs/lifecycle.md: {missing}"
    assert not invented, f"edges in docs/lifecycle.md but not in the code: {invented}"
    for edge, actors in EDGES.items():
        assert documented[edge] == actors, f"{edge[0]} → {edge[1]}: docs say {set(documented[edge])}"


def test_the_docs_list_all_thirteen_states() -> None:
    markdown = DOC.read_text(encoding="utf-8")
    table = markdown[markdown.index("| state | meaning |") : markdown.index("Terminal states:")]
    listed = re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE)
    assert listed == [str(state) for state in State]
