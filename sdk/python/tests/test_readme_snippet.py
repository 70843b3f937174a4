"""The README's Playwright snippet is the marked region of examples/quickstart_agent.py, which the end-to-end
suite runs (e2e/sdk/test_flows.py): they never drift apart."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
REGION = re.compile(r"# --8<-- \[start:quickstart\]\n(.*?)\n# --8<-- \[end:quickstart\]", re.DOTALL)
SECTION = re.compile(r"^## Playwright integration \(Python\)\n(.*?)(?=^## )", re.DOTALL | re.MULTILINE)
BLOCK = re.compile(r"```python\n(.*?)\n```", re.DOTALL)


def test_readme_snippet_is_the_quickstart_region() -> None:
    example = (REPO / "examples" / "quickstart_agent.py").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    region = REGION.search(example)
    section = SECTION.search(readme)
    assert region is not None, "examples/quickstart_agent.py lost its --8<-- markers"
    assert section is not None, "README.md lost its 'Playwright integration (Python)' section"
    block = BLOCK.search(section.group(1))
    assert block is not None, "the README section has no python block"
    assert block.group(1).strip("\n") == region.group(1).strip("\n")
