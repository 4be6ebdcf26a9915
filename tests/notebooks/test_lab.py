"""notebooks/lab.ipynb: committed without outputs, one section per lab step opening with the lab's question,
and it executes top to bottom on a pipeline folder (nbconvert, as `make test` and CI run it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "lab.ipynb"
SECTIONS = ("## 1.", "## 2.", "## 3.", "## 4.", "## 5.")
CLOSING = "## Closing note"


def sections(notebook) -> dict[str, list]:
    """The cells under each `## N.` heading (and the closing note), keyed by that heading's prefix."""
    found: dict[str, list] = {}
    current = None
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            heading = next((h for h in (*SECTIONS, CLOSING) if cell.source.startswith(h)), None)
            current = heading or current
        if current:
            found.setdefault(current, []).append(cell)
    return found


def shows_a_result(cell) -> bool:
    """A code cell that displayed a figure or a table."""
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if "image/png" in data or "|---" in data.get("text/markdown", ""):
            return True
    return False


def test_committed_without_outputs():
    for number, cell in enumerate(nbformat.read(NOTEBOOK, as_version=4).cells):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"cell {number} has outputs: clear them before committing (Jupyter: Edit > Clear Outputs of All "
                "Cells)")


def test_every_lab_step_has_a_section_opening_with_its_question_in_french():
    found = sections(nbformat.read(NOTEBOOK, as_version=4))
    assert set(found) == {*SECTIONS, CLOSING}
    for heading in SECTIONS:
        opening = found[heading][0].source
        assert "\n> «" in opening, f"section {heading} does not open with the lab's question quoted"
        assert any(c.cell_type == "code" for c in found[heading]), f"section {heading} computes nothing"


@pytest.mark.integration
@pytest.mark.slow
def test_executes_top_to_bottom_with_a_result_in_every_section(tiny_pipeline, tmp_path):
    env = {**os.environ, "DIGITFUSION_NOTEBOOK_RUN": str(tiny_pipeline)}
    run = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                          str(NOTEBOOK), "--output-dir", str(tmp_path), "--output", "lab.ipynb",
                          "--ExecutePreprocessor.timeout=600"], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    executed = sections(nbformat.read(tmp_path / "lab.ipynb", as_version=4))
    for heading in SECTIONS:
        assert any(shows_a_result(c) for c in executed[heading]), f"section {heading} shows no figure or table"
    closing = "".join(o.get("text", "") for c in executed[CLOSING] for o in c.get("outputs", []))
    assert "Executed top to bottom in" in closing and str(tiny_pipeline) in closing
    assert (tiny_pipeline / "notebook-model" / "model.onnx").is_file()  # section 5 exported the tiny pipeline
    assert (tiny_pipeline / "notebook-model-speaker" / "model.onnx").is_file()  # and its speaker fold, to enrol
    enrolment = "".join(o.get("data", {}).get("text/markdown", "") for c in executed["## 5."]
                        for o in c.get("outputs", []))
    assert "with the profile %" in enrolment and "never heard by this model" in enrolment
