import pytest

from embeddings.documents import document_from_text
from embeddings.index import PassageIndex
from embeddings.settings import IndexSettings
from qa.lexical import overlaps, question_terms_of
from qa.retrieval import reciprocal_rank_fusion

VW_QUESTION = "Which car was the bomb placed under?"


def test_rrf_rewards_agreement_and_keeps_single_list_hits():
    fused = reciprocal_rank_fusion([[1, 2, 3], [2, 1, 4]], k=60)
    assert fused[1] == fused[2] > fused[3] > 0
    assert fused[4] > 0
    assert reciprocal_rank_fusion([[7, 8], [8]], k=60)[8] > reciprocal_rank_fusion([[7, 8], [8]], k=60)[7]


def test_lexical_ignores_queries_without_known_terms(stand_in_encoder):
    index = PassageIndex.temporary(IndexSettings())
    index.add_documents([document_from_text("the cat sat", "a"), document_from_text("a dog ran", "b")], stand_in_encoder)
    search = lambda q: index.lexical_search(question_terms_of(q), 5)  # noqa: E731
    assert search("zebra xylophone") == [] and search("the") == []
    assert [index.passages([row])[0].doc_id for row, _ in search("dog")] == ["b"]
    assert 0 < overlaps(index, "dog zebra", ["a dog"])[0] < 1.0


@pytest.mark.slow
def test_hybrid_ranks_the_volkswagen_passage_first_with_its_evidence(seed_assistant):
    hybrid = seed_assistant.retriever.retrieve(VW_QUESTION, 5, mode="hybrid")
    assert "Volkswagen Golf" in hybrid[0].passage.text
    assert hybrid[0].lexical_rank == 1 and hybrid[0].dense_score is not None
    assert 0.0 < hybrid[0].term_overlap <= 1.0
    # Hits found by BM25 alone still carry their cosine: the calibration reads it.
    assert all(rp.dense_score is not None for rp in hybrid)


@pytest.mark.slow
def test_evidence_for_given_passages_matches_retrieval(seed_assistant):
    retrieved = seed_assistant.retriever.retrieve(VW_QUESTION, 3)
    again = seed_assistant.retriever.evidence(VW_QUESTION, [rp.passage for rp in retrieved])
    for a, b in zip(retrieved, again):
        assert a.passage == b.passage
        assert a.dense_score == pytest.approx(b.dense_score, abs=1e-5)
        assert a.term_overlap == pytest.approx(b.term_overlap)


@pytest.mark.slow
def test_retrieved_passages_carry_exact_offsets(seed_assistant, seed_document):
    for rp in seed_assistant.retrieve("Who did Witkoff meet?", k=5):
        assert seed_document.text[rp.passage.start : rp.passage.end] == rp.passage.text
    assert seed_assistant.retrieve("Who did Witkoff meet?", k=0) == []
