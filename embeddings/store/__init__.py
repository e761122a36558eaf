"""The on-disk store of an index folder, in the shape of Lucene's segments.

``catalog`` (SQLite) holds documents, passages and the list of live
segments; each segment is a folder of immutable files: FAISS vectors
(``vectors``) and BM25 postings (``postings``), written once and memory-mapped
when opened. A change writes new segments, then commits one SQLite
transaction; that transaction is the only commit point.
"""
