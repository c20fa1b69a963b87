import pandas as pd
import pytest

from myositis.validation import ISSUE_COLUMNS, Issue, issues_frame, summarise


def test_issue_table_columns_and_clean_case():
    assert list(issues_frame().columns) == ISSUE_COLUMNS == ["file", "row", "record", "field", "value", "rule",
                                                                "severity"]
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


def test_issues_carry_the_record_identifier_of_their_row():
    from myositis.validation import with_records

    issues = issues_frame([Issue("p.xlsx", 3, "ck_max_u_l", "abc", "not a number: set missing", "warning"),
                           Issue("p.xlsx", None, "fever", "", "column absent", "error"),
                           Issue("v.xlsx", 3, "id", "", "id missing", "error"),
                           Issue("p.xlsx", 4, "id", "X", "duplicate id", "error", record="given")])
    records = pd.DataFrame({"file": ["p.xlsx", "p.xlsx", "v.xlsx"], "row": [3, 4, 3], "record": ["PT002", "PT003", None]})
    out = with_records(issues, records)
    assert list(out.columns) == ISSUE_COLUMNS and ISSUE_COLUMNS.index("record") == 2
    assert out["record"].tolist() == ["PT002", None, None, "given"]
    assert "record PT002" in str(Issue("p.xlsx", 3, "f", "v", "rule", record="PT002"))
