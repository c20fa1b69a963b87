"""The published facts must match ../shared/facts.md: spot checks of figures and of verification flags."""

import pytest

from myositis import published
from myositis.exceptions import InputFileError


@pytest.fixture(scope="module")
def facts():
    return published.load_facts()


def test_every_fact_has_a_citation_and_a_verification_flag(facts):
    assert facts["citation"].str.len().gt(20).all()
    assert facts["verified"].isin([True, False]).all()
    assert facts["fact"].is_unique


@pytest.mark.parametrize("fact_id, value", [
    ("n_mi2_pos_dm", 58), ("n_mi2_neg_dm", 143), ("n_asys", 162), ("n_imnm", 170),
    ("weakness_onset_mi2_pos", 60), ("weakness_onset_mi2_neg", 46), ("weakness_ever_mi2_pos", 98),
    ("weakness_ever_mi2_neg", 85), ("calcinosis_mi2_pos", 9), ("calcinosis_mi2_neg", 28), ("ild_mi2_pos", 5),
    ("ild_mi2_neg", 16), ("fever_mi2_pos", 7), ("fever_mi2_neg", 21), ("long_followup_negativation", 3),
    ("tsuji_triple_n", 29), ("tsuji_triple_surv6", 89), ("tsuji_hist_n", 15), ("tsuji_hist_surv6", 33),
    ("takada_surv52w", 88.0), ("kum_dm", 6.9), ("zhu_mas", 22), ("hscore_cutoff", 169), ("hscore_max", 337),
])
def test_figures_as_in_facts_md(facts, fact_id, value):
    assert published.fact(facts, fact_id) == value


@pytest.mark.parametrize("fact_id", ["tsuji_triple_surv12", "tsuji_csa_n", "takada_pfs52w", "takada_n_seed",
                                     "follow_up_mean_years", "lc_cancer"])
def test_seed_only_figures_are_marked_unverified(facts, fact_id):
    assert not facts.loc[facts.fact == fact_id, "verified"].item()


def test_pmids_as_in_facts_md(facts):
    pmid = facts.groupby("publication")["pmid"].first()
    assert pmid["pinal_fernandez_2019"] == "31594859"
    assert pmid["takada_2020"] == "31539061"
    assert pmid["kumakura_2014"] == "24756912"
    assert pmid["tsuji_2020"] is None  # PMID unverified: not written down


def test_unknown_fact_and_bad_file(tmp_path, facts):
    with pytest.raises(KeyError, match="no published fact with id 'nope'"):
        published.fact(facts, "nope")
    bad = tmp_path / "bad.yaml"
    bad.write_text("study: x\npublications:\n  - id: p\n    citation: c\n    facts:\n      - {id: a, value: 1}\n")
    with pytest.raises(InputFileError, match="bad.yaml: publication p, fact 1: missing key 'quantity'"):
        published.load_facts([bad])
