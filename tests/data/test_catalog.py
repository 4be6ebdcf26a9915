import pytest

from digitfusion.data.catalog import all_ok, format_rows, verify
from digitfusion.errors import DigitfusionError


def test_verify_lists_what_a_root_holds(tiny_root):
    rows = {r["name"]: r for r in verify(tiny_root)}
    assert set(rows) == {"fsdd", "mnist"} and rows["fsdd"]["clips"] == 480 and rows["fsdd"]["speakers"] == 4
    table = format_rows(list(rows.values()))
    assert table.splitlines()[0].split() == ["name", "kind", "items", "people", "digits", "status", "note"]


def test_problems_and_empty_roots(tmp_path):
    (tmp_path / "fsdd" / "recordings").mkdir(parents=True)
    (row,) = verify(tmp_path)
    assert row["clips"] == 0 and "holds no" in row["problems"][0] and not all_ok([row])
    assert " missing " in format_rows([row])
    with pytest.raises(DigitfusionError, match="holds no known corpus"):
        verify(tmp_path / "fsdd" / "recordings")


@pytest.mark.integration
def test_real_root_lists_every_corpus_and_image_source(real_root):
    rows = {r["name"]: r for r in verify(real_root)}
    assert set(rows) >= {"fsdd", "fsdd-jason", "speech-commands", "outside-voices", "accented-numbers", "optdigits",
                         "mnist"}
    counts = {n: (r.get("clips", r.get("images")), r.get("speakers", r.get("writers")), r["digits"])
              for n, r in rows.items()}
    assert counts["fsdd"] == (3000, 6, 10) and counts["speech-commands"] == (100, 22, 10)
    assert counts["outside-voices"] == (20, 2, 10) and counts["mnist"] == (15000, None, 10)
    assert counts["optdigits"] == (1934, None, 10) and all_ok(list(rows.values()))
