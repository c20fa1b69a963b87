import pytest

from myositis.validation import ISSUE_COLUMNS, Issue, issues_frame, summarise


def test_issue_table_columns_and_clean_case():
    assert list(issues_frame().columns) == ISSUE_COLUMNS == ["file", "row", "field", "value", "rule", "severity"]
    assert issues_frame().empty


def test_issue_rows_and_summary():
    df = issues_frame([Issue("a.csv", 12, "ferritin_ng_ml", "abc", "is not a number"),
                       Issue("a.csv", 3, "sex", "X", "not an allowed value", "warning"),
                       Issue("a.csv", 14, "ferritin_ng_ml", "?!", "is not a number")])
    assert df["row"].tolist() == [12, 3, 14]
    s = summarise(df)
    assert s.loc[(s.rule == "is not a number"), "n"].item() == 2
    assert str(Issue("a.csv", 12, "ferritin_ng_ml", "abc", "is not a number")) == \
        "a.csv: row 12, field ferritin_ng_ml: 'abc' is not a number [error]"


def test_severity_is_checked():
    with pytest.raises(ValueError):
        Issue("a.csv", 1, "x", 1, "r", "fatal")
