"""Product text as vectors: a language model's embeddings, offline, or TF-IDF when it is missing.

The language model is WordLlama (`wordllama==0.4.0.post1`): token embeddings taken from a large
language model and reduced to 256 dimensions, with its tokenizer, all inside the wheel (16 MB).
`WordLlama.load()` looks for the tokenizer under a folder name the wheel does not ship and would
then try to download it; loading from the installed package folder with `disable_download=True`
works offline (0.1 s). This module is the one place that loads it, and it refuses the network
while it does (a test checks that no connection is opened).

Every caller asks `encode_texts` for unit vectors; with the package missing it falls back to
TF-IDF of words and character 3-grams reduced by SVD, and says so in `note()`. Vectors are cached
per list of texts, in memory and on disk (`GNNREC_CACHE`, default ~/.cache/gnnrec/text), so a
dataset's 50k product names are embedded once.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import socket
from pathlib import Path
from typing import Any, Iterator, NoReturn, Sequence

import numpy as np

LLM, TFIDF = "llm", "tfidf"
_MEMORY: dict[tuple[str, str], np.ndarray] = {}
_VERSION = "-v2"  # part of every cache key: bump it when the vectors of the same texts change


@contextlib.contextmanager
def no_network() -> Iterator[None]:
    """Any socket connection inside this block raises instead of reaching out."""
    original = socket.socket.connect

    def refuse(self: socket.socket, address: Any) -> NoReturn:
        raise ConnectionRefusedError(f"gnnrec loads its language model offline; refused a connection to {address}")
    socket.socket.connect = refuse  # type: ignore[method-assign, assignment]  # a deliberate monkeypatch
    try:
        yield
    finally:
        socket.socket.connect = original  # type: ignore[method-assign]


@functools.lru_cache(maxsize=1)
def _wordllama() -> Any:  # a wordllama.WordLlama (an untyped package), or None
    """The WordLlama model from the installed wheel, or None when the package is not installed."""
    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError:
        return None
    with no_network():
        return WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)


def llm_available() -> bool:
    return _wordllama() is not None


def note() -> str | None:
    """What the dashboard shows when the language model is missing; None when it is there."""
    if llm_available():
        return None
    return ("Product text uses TF-IDF: the language-model encoder (wordllama) is not installed; "
            "pip install wordllama==0.4.0.post1 to use it")


text_encoder_note = note  # the name the public API gives it


def resolve(method: str) -> str:
    """'auto' is the language model when installed, else TF-IDF."""
    if method not in ("auto", LLM, TFIDF):
        from ..errors import ConfigError

        raise ConfigError(f"text encoder: expected auto, llm or tfidf, found '{method}'")
    if method == "auto":
        return LLM if llm_available() else TFIDF
    if method == LLM and not llm_available():
        from ..errors import ConfigError

        raise ConfigError("text encoder llm: expected the wordllama package, found it not installed "
                          "(pip install wordllama==0.4.0.post1)")
    return method


def encode_texts(texts: Sequence[str], method: str = "auto") -> np.ndarray:
    """(len(texts), dims) float32 unit vectors; the same texts give the same vectors."""
    method = resolve(method)
    texts = [str(t) for t in texts]
    key = (f"{method}{_VERSION}", hashlib.sha1("\x1f".join(texts).encode()).hexdigest())
    if key in _MEMORY:
        return _MEMORY[key]
    path = _cache_dir() / f"{key[0]}-{key[1]}.npy"
    vectors: np.ndarray
    if path.is_file():
        vectors = np.load(path)
    else:
        vectors = _llm(texts) if method == LLM else _tfidf(texts)
        with contextlib.suppress(OSError):  # a read-only home only costs the cache
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(temporary, vectors)
            temporary.replace(path)
    _MEMORY[key] = vectors
    return vectors


def encode_query(text: str, method: str = "auto") -> np.ndarray:
    """One free-text query (a search box) as a unit vector, not cached. TF-IDF queries need the
    vocabulary they are compared with, so only the language model encodes queries alone."""
    if resolve(method) != LLM:
        raise ValueError("a free-text query needs the language model")
    vector: np.ndarray = _llm([text])[0]
    return vector


def _llm(texts: list[str]) -> np.ndarray:
    # Lower case: retail exports shout (GARDEN PARTY BUNTING), and the model's tokens for upper-case
    # words carry little meaning ("garden party" then finds doorstops before bunting).
    vectors = np.asarray(_wordllama().embed([t.lower() for t in texts], norm=True), dtype=np.float32)
    return np.nan_to_num(vectors)


def _tfidf(texts: list[str], dims: int = 64) -> np.ndarray:
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    union = FeatureUnion([("words", TfidfVectorizer()),
                          ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3)))])
    matrix = union.fit_transform([t if t.strip() else "-" for t in texts])
    dims = max(1, min(dims, matrix.shape[1] - 1, len(texts) - 1))
    vectors = TruncatedSVD(dims, random_state=0).fit_transform(matrix) if dims > 1 else matrix.toarray()
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: np.ndarray = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit


def _cache_dir() -> Path:
    return Path(os.environ.get("GNNREC_CACHE", Path.home() / ".cache" / "gnnrec")) / "text"


__all__ = ["encode_texts", "encode_query", "llm_available", "note", "resolve", "no_network", "LLM", "TFIDF"]
