"""Documents → passages → vectors → index.

The first half of the pipeline: read files into `Document`s, split them into
`Passage`s with exact character offsets, encode passages into vectors and keep
them in a FAISS index saved atomically to disk.
"""

from embeddings.chunking import Passage, chunk_document, split_sentences
from embeddings.documents import Document, DocumentError, read_documents
from embeddings.encoder import Encoder
from embeddings.index import IndexStoreError, PassageIndex
from embeddings.settings import IndexSettings

__all__ = [
    "Document",
    "DocumentError",
    "Encoder",
    "IndexStoreError",
    "IndexSettings",
    "Passage",
    "PassageIndex",
    "chunk_document",
    "read_documents",
    "split_sentences",
]
