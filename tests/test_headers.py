"""Header synonyms: field name, English or French label; case, accents, bracketed units, spacing ignored."""

import pytest

from myositis.exceptions import MissingColumnsError, ValidationError
from myositis.headers import HeaderTable, missing_columns_error, normalise


@pytest.mark.parametrize("header, expected", [
    ("CK max (UI/L)", "ck_max"),
    ("ck  MAX [U/L]", "ck_max"),
    ("Papules de Gottron", "papules_de_gottron"),
    ("PAPULES DE GOTTRON ", "papules_de_gottron"),
    ("Âge au début (ans)", "age_au_debut"),
    ("age_au_debut", "age_au_debut"),
    ("Érythème péri-unguéal", "erytheme_peri_ungueal"),
    ("N° patient", "n_patient"),
    ("", ""),
])
def test_normalise(header, expected):
    assert normalise(header) == expected


TABLE = HeaderTable({"ck_max_u_l": ("maximum CK (IU/L)", "CK max (UI/L)"),
                     "gottron_papules": ("Gottron papules", "Papules de Gottron")})


def test_field_name_english_and_french_labels_match():
    assert TABLE.rename(["ck_max_u_l", "Maximum CK", "CK MAX (U/L)", "papules de gottron", "other"]) == {
        "ck_max_u_l": "ck_max_u_l", "Maximum CK": "ck_max_u_l", "CK MAX (U/L)": "ck_max_u_l",
        "papules de gottron": "gottron_papules", "other": "other"}
    assert TABLE.field_of("Gottron Papules") == "gottron_papules"
    assert TABLE.field_of("CK") is None


def test_an_ambiguous_table_is_refused():
    with pytest.raises(ValueError, match=r"'ck' \(ck\) given for both ck_u_l and ck_max_u_l"):
        HeaderTable({"ck_u_l": ("CK",), "ck_max_u_l": ("ck",)})


def test_one_error_lists_every_missing_field_and_the_headers_found():
    err = missing_columns_error({"p.xlsx": ["ck_max_u_l", "gottron_papules"], "v.xlsx": []},
                                {"p.xlsx": ["N° patient", "Groupe"], "v.xlsx": ["id"]}, TABLE)
    assert isinstance(err, MissingColumnsError) and isinstance(err, ValidationError)
    text = str(err)
    assert "p.xlsx: 2 needed columns not found" in text
    assert "ck_max_u_l ('ck_max_u_l' / 'maximum CK (IU/L)' / 'CK max (UI/L)')" in text
    assert "Headers found: 'N° patient', 'Groupe'" in text
    assert "v.xlsx" not in text
    assert err.missing == {"p.xlsx": ["ck_max_u_l", "gottron_papules"]}
