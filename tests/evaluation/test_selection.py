from digitfusion.evaluation.selection import choose_strategy, exportable_names, validation_means


def entry(scores: dict[str, dict[str, float]]) -> dict:
    return {"results": {"validation": {c: {n: {"acc": a} for n, a in rows.items()} for c, rows in scores.items()}}}


def test_the_best_mean_over_conditions_and_entries_wins_and_late_rules_never_do():
    first, second = exportable_names()[:2]
    entries = [entry({"clean": {first: 0.99, second: 0.98, "late-mean": 1.0},
                      "audio missing": {first: 0.80, second: 0.90, "late-mean": 1.0}}),
               entry({"clean": {first: 0.97, second: 0.96}, "audio missing": {first: 0.82, second: 0.88}})]
    table = validation_means(entries)
    assert set(table) == {first, second}  # late rules are fit on validation and not exportable
    assert table[first]["clean"] == (0.99 + 0.97) / 2 and table[second]["mean"] == (0.97 + 0.89) / 2
    assert choose_strategy(entries) == second
    assert choose_strategy([{"results": {}}]) is None
