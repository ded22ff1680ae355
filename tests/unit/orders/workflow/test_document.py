from pathlib import Path

from orders.workflow.document import render_markdown

ROOT = Path(__file__).resolve().parents[4]


def test_the_workflows_document_in_docs_is_up_to_date():
    assert (ROOT / "docs" / "workflows.md").read_text() == render_markdown(), (
        "docs/workflows.md is stale: run `make workflows`"
    )
