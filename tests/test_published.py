"""The published facts must match ../shared/facts.md: spot checks of figures, of verification flags and of the
provenance rule (every fact names where it was read; verified only when read in the publication itself)."""


import pytest
import yaml

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
                                     "follow_up_mean_years", "calcinosis_less_vs_asys", "ild_less_vs_asys",
                                     "fever_less_vs_asys"])
def test_seed_only_figures_are_marked_unverified(facts, fact_id):
    row = facts.set_index("fact").loc[fact_id]
    assert not row["verified"] and row["source"].startswith("seed 00")


@pytest.mark.parametrize("fact_id", ["weakness_onset_mi2_neg", "weakness_onset_imnm"])
def test_figures_not_in_the_abstract_are_unverified_with_their_real_source(facts, fact_id):
    """PMID 31594859's abstract gives only the 60 %: 46 % and 88 % come from a secondary summary (and the seed)."""
    row = facts.set_index("fact").loc[fact_id]
    assert not row["verified"]
    assert "Rheumatology Advisor" in row["source"]


@pytest.mark.parametrize("fact_id", ["hscore_max", "hscore_cutoff", "hlh2004_required", "mas2016_ferritin"])
def test_score_figures_read_in_reproduced_tables_are_secondary(facts, fact_id):
    row = facts.set_index("fact").loc[fact_id]
    assert not row["verified"] and row["source"].startswith("secondary")


def test_every_fact_names_its_source_and_verified_means_read_in_the_publication(facts):
    kinds = facts["source"].map(published.source_kind)
    assert kinds.notna().all(), facts.loc[kinds.isna(), ["fact", "source"]]
    assert facts.loc[facts["verified"], "source"].map(published.source_kind).isin(["abstract", "full text"]).all()
    assert facts.loc[~facts["verified"], "source"].map(published.source_kind).isin(["seed", "secondary"]).all()
    # a seed source names the seed file, so that a reader can open it
    seeds = facts.loc[kinds == "seed", "source"]
    assert seeds.str.match(r"seed 00\d_[0-9a-f]{16}\.txt").all(), seeds


def test_gottron_is_papules_and_or_sign(facts):
    assert facts.set_index("fact").loc["lc_gottron", "quantity"] == "Gottron papules and/or sign"


def _one_fact_file(tmp_path, **fact):
    entry = {"id": "a", "quantity": "q", "value": 1, "unit": "n", **fact}
    path = tmp_path / "one.yaml"
    path.write_text(yaml.safe_dump({"study": "x", "publications": [{"id": "p", "citation": "c", "facts": [entry]}]}))
    return path


@pytest.mark.parametrize("fact, message", [
    ({"verified": True}, " 1: missing key 'source'"),
    ({"verified": True, "source": "seed 000_d341ae9703ffcbbc.txt"}, "'verified: true' needs a source in the publication"),
    ({"verified": True, "source": "secondary: Rheumatology Advisor"}, "'verified: true' needs a source in the publication"),
    ({"verified": True, "source": "publication"}, "'source' must start with one of abstract, full text, seed, secondary"),
    ({"verified": True, "source": "abstract"}, "and name where the figure was read"),
    ({"verified": False, "source": "abstract (PubMed 1)"}, "read in the publication .* but marked 'verified: false'"),
    ({"verified": "yes", "source": "abstract (PubMed 1)"}, "'verified' must be true or false"),
])
def test_provenance_rule_is_enforced_when_loading(tmp_path, fact, message):
    path = _one_fact_file(tmp_path, **fact)
    with pytest.raises(InputFileError, match=f"one.yaml: publication p, fact.*{message}"):
        published.load_facts([path])


def test_a_fact_read_in_the_abstract_loads(tmp_path):
    facts = published.load_facts([_one_fact_file(tmp_path, verified=True, source="abstract (PubMed 1)")])
    assert facts.loc[0, "verified"] and facts.loc[0, "source"] == "abstract (PubMed 1)"


def test_study_table_shows_the_source_and_the_compared_groups(facts):
    t = published.study_table(facts, "mi2").reset_index()
    assert "source" in t.columns
    row = t[t["quantity"] == "calcinosis (less frequent)"]
    assert set(row["group"]) == {"Mi2+ DM vs Mi2- DM", "Mi2+ DM vs ASyS"}
    assert set(row["verified"]) == {"yes", "UNVERIFIED"}


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


def test_an_absent_fact_is_a_named_error_that_is_still_a_key_error():
    from myositis.exceptions import FactNotFoundError
    facts = published.load_facts()
    with pytest.raises(FactNotFoundError, match="no published fact with id 'nope'") as caught:
        published.fact(facts, "nope")
    assert isinstance(caught.value, KeyError)
