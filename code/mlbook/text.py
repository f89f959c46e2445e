"""Text plumbing shared by the RNN and seq2seq chapters: tokenising, a vocabulary, padded batches, packing.

Introduced in {ref}`sec-rnn-text` (tokenisers, :class:`Vocab`, :func:`pad_batch`, :func:`pack`,
:func:`length_mask`, :func:`length_batches`); the start and end tokens ``<bos>`` / ``<eos>`` in
{ref}`sec-seq2seq-data`. The teaching code (the RNN cell, attention) stays in the chapters.

>>> from mlbook.text import Vocab, tokenize_en, pad_batch
>>> vocab = Vocab.build([tokenize_en(t) for t in train_texts], min_freq=2)   # training texts only
>>> ids = [vocab.encode(tokenize_en(t)) for t in texts]
>>> x, lengths = pad_batch(ids[:64])           # (64, T) LongTensor padded with 0, lengths (64,) on the CPU

torch is imported inside the functions that make tensors, so ``import mlbook.text`` stays light.
"""
from __future__ import annotations

import numbers
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"

# A word: letters/digits/underscore, with inner apostrophes kept ("it's", "don't"); or one punctuation mark.
_WORD = re.compile(r"\w+(?:'\w+)*|[^\w\s]")


def tokenize_en(text: str) -> list[str]:
    """English words: lower-cased; a token is a run of letters and digits with inner apostrophes kept
    ("it's", "don't"), or a single punctuation mark. Curly apostrophes count as straight ones.

    Introduced in {ref}`sec-rnn-text`. ``tokenize_en("It's a 90-minute film.")`` is
    ``["it's", "a", "90", "-", "minute", "film", "."]``.
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize_en takes a str; got {type(text).__name__}")
    return _WORD.findall(text.lower().replace("\u2019", "'").replace("\u2018", "'"))


def tokenize_chars(text: str) -> list[str]:
    """Characters, for Chinese: every character is a token; whitespace is dropped.

    Introduced in {ref}`sec-rnn-text`. ``tokenize_chars("很好 看")`` is ``["很", "好", "看"]``.
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize_chars takes a str; got {type(text).__name__}")
    return [c for c in text if not c.isspace()]


def _check_tokens(tokens: Any, what: str) -> list[str]:
    if isinstance(tokens, str):
        raise TypeError(f"{what} takes a list of tokens, not a str; tokenise first "
                        f"(tokenize_en(text) for words, tokenize_chars(text) for characters)")
    tokens = list(tokens)
    bad = [t for t in tokens if not isinstance(t, str)]
    if bad:
        raise TypeError(f"{what}: every token must be a str; got {bad[0]!r} ({type(bad[0]).__name__})")
    return tokens


class Vocab:
    """A vocabulary: token <-> integer id. ``<pad>`` is 0 and ``<unk>`` is 1; with ``bos_eos=True`` also
    ``<bos>`` = 2 and ``<eos>`` = 3. The other tokens follow, most frequent first (ties alphabetically).

    Introduced in {ref}`sec-rnn-text`. Build it with :meth:`build` from the training texts only: a token seen
    only in validation or test data must map to ``<unk>``, as it would for a new text.
    """

    def __init__(self, tokens: Sequence[str], *, bos_eos: bool = False,
                 counts: dict[str, int] | None = None) -> None:
        specials = [PAD, UNK] + ([BOS, EOS] if bos_eos else [])
        tokens = _check_tokens(tokens, "Vocab")
        clash = [t for t in tokens if t in specials]
        if clash:
            raise ValueError(f"tokens must not include the special tokens {specials}; got {clash}")
        if len(set(tokens)) != len(tokens):
            dup = [t for t, n in Counter(tokens).items() if n > 1]
            raise ValueError(f"tokens must be distinct; repeated: {dup[:5]}")
        self.itos: list[str] = specials + tokens
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(self.itos)}
        self.counts: dict[str, int] = dict(counts or {})  # training counts of every token seen, kept or not
        self.pad_id, self.unk_id = 0, 1
        self.bos_id: int | None = 2 if bos_eos else None
        self.eos_id: int | None = 3 if bos_eos else None
        self.n_special = len(specials)

    @classmethod
    def build(cls, token_lists: Iterable[Sequence[str]], *, min_freq: int = 1, max_size: int | None = None,
              bos_eos: bool = False) -> "Vocab":
        """The vocabulary of the training texts ``token_lists`` (one list of tokens per text).

        Introduced in {ref}`sec-rnn-text`. Keeps tokens seen at least ``min_freq`` times; ``max_size`` caps the
        whole vocabulary, special tokens included, keeping the most frequent. ``bos_eos=True`` adds ``<bos>``
        and ``<eos>`` (for seq2seq targets, {ref}`sec-seq2seq-data`).
        """
        if isinstance(min_freq, bool) or not isinstance(min_freq, numbers.Integral) or min_freq < 1:
            raise ValueError(f"min_freq must be an int >= 1; got {min_freq!r}")
        n_special = 4 if bos_eos else 2
        if max_size is not None and (isinstance(max_size, bool) or not isinstance(max_size, numbers.Integral)
                                     or max_size <= n_special):
            raise ValueError(f"max_size must be None or an int above the {n_special} special tokens; got {max_size!r}")
        if isinstance(token_lists, str):
            raise TypeError("Vocab.build takes a list of token lists (one per text), not a str")
        counts: Counter[str] = Counter()
        n_texts = 0
        for tokens in token_lists:
            counts.update(_check_tokens(tokens, "Vocab.build (each text)"))
            n_texts += 1
        if n_texts == 0:
            raise ValueError("Vocab.build got no texts")
        specials = {PAD, UNK, BOS, EOS}
        kept = sorted((t for t, n in counts.items() if n >= min_freq and t not in specials),
                      key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[: max_size - n_special]
        return cls(kept, bos_eos=bos_eos, counts=counts)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return token in self.stoi

    def __getitem__(self, token: str) -> int:
        """The id of ``token``; ``<unk>``'s id for a token not in the vocabulary."""
        return self.stoi.get(token, self.unk_id)

    def __repr__(self) -> str:
        top = ", ".join(self.itos[self.n_special:self.n_special + 5])
        return f"Vocab({len(self):,} tokens: {', '.join(self.itos[:self.n_special])}, {top}, ...)"

    def encode(self, tokens: Sequence[str], *, bos: bool = False, eos: bool = False,
               max_len: int | None = None) -> list[int]:
        """Ids of ``tokens`` (unknown ones -> ``<unk>``), optionally truncated to the first ``max_len`` tokens,
        then with ``<bos>`` before and ``<eos>`` after (only for a vocabulary built with ``bos_eos=True``).

        Introduced in {ref}`sec-rnn-text`.
        """
        tokens = _check_tokens(tokens, "encode")
        if (bos or eos) and self.bos_id is None:
            raise ValueError("this vocabulary has no <bos>/<eos>: build it with bos_eos=True")
        if max_len is not None:
            if isinstance(max_len, bool) or not isinstance(max_len, numbers.Integral) or max_len < 1:
                raise ValueError(f"max_len must be None or an int >= 1; got {max_len!r}")
            tokens = tokens[:max_len]
        ids = [self.stoi.get(t, self.unk_id) for t in tokens]
        return ([self.bos_id] if bos else []) + ids + ([self.eos_id] if eos else [])

    def decode(self, ids: Iterable[int] | Any) -> list[str]:
        """Tokens of ``ids`` (a list, array or 1-D tensor): stops at the first ``<eos>``, drops ``<pad>`` and
        ``<bos>``; ``<unk>`` stays. The inverse of :meth:`encode` up to unknown tokens and truncation.

        Introduced in {ref}`sec-rnn-text`.
        """
        if hasattr(ids, "tolist"):
            ids = ids.tolist()
        ids = list(ids)
        if any(isinstance(i, list) for i in ids):
            raise ValueError("decode takes one sequence of ids; decode a batch row by row")
        out = []
        for i in ids:
            if isinstance(i, bool) or not isinstance(i, numbers.Integral) or not 0 <= i < len(self.itos):
                raise ValueError(f"id {i!r} is not in this vocabulary of {len(self.itos)} tokens")
            if i == self.eos_id:
                break
            if i not in (self.pad_id, self.bos_id):
                out.append(self.itos[i])
        return out


def pad_batch(seqs: Iterable[Sequence[int] | Any], *, pad_id: int = 0, device: Any = None) -> tuple[Any, Any]:
    """Pad sequences of ids to one length: ``(x, lengths)``, ``x`` a (B, T) LongTensor (``pad_id`` after each
    sequence, T the longest length), ``lengths`` a (B,) LongTensor on the CPU.

    Introduced in {ref}`sec-rnn-text`. ``x`` goes to ``device`` (default: the CPU); ``lengths`` stays on the
    CPU, where :func:`pack` (``pack_padded_sequence``) needs it. Every sequence must have at least one id.
    """
    import torch

    if isinstance(seqs, (str, torch.Tensor)) or not isinstance(seqs, Iterable):
        raise ValueError("pad_batch takes a list of sequences of ids (lists or 1-D tensors), "
                         f"not a {type(seqs).__name__}")
    seqs = list(seqs)
    if not seqs:
        raise ValueError("pad_batch got no sequences")
    rows = []
    for i, s in enumerate(seqs):
        t = torch.as_tensor(s)
        if t.dim() == 1 and len(t) == 0:
            raise ValueError(f"sequence {i} is empty; every sequence needs at least one id (an RNN cannot "
                             f"run zero steps); drop empty texts first")
        if t.dim() != 1 or t.dtype.is_floating_point or t.dtype == torch.bool:
            raise ValueError(f"sequence {i} must be a 1-D sequence of integer ids; got dtype {t.dtype}, "
                             f"shape {tuple(t.shape)}")
        rows.append(t.to(torch.long))
    lengths = torch.tensor([len(r) for r in rows], dtype=torch.long)
    x = torch.full((len(rows), int(lengths.max())), pad_id, dtype=torch.long)
    for i, r in enumerate(rows):
        x[i, : len(r)] = r
    return x.to(device) if device is not None else x, lengths


def length_mask(lengths: Any, max_len: int | None = None) -> Any:
    """A (B, T) bool mask, True at real tokens and False at padding, on ``lengths``' device.

    Introduced in {ref}`sec-rnn-text`: to average an RNN's outputs over real steps only, to mask padding out
    of a loss or out of attention scores ({ref}`sec-seq2seq-data`). ``max_len`` defaults to the longest length.
    """
    import torch

    lengths = torch.as_tensor(lengths)
    if lengths.dim() != 1 or lengths.dtype.is_floating_point:
        raise ValueError(f"lengths must be a 1-D integer tensor; got dtype {lengths.dtype}, shape "
                         f"{tuple(lengths.shape)}")
    t = int(lengths.max()) if max_len is None else int(max_len)
    if t < int(lengths.max()):
        raise ValueError(f"max_len {t} is shorter than the longest sequence ({int(lengths.max())})")
    return torch.arange(t, device=lengths.device)[None, :] < lengths[:, None]


def pack(x: Any, lengths: Any) -> Any:
    """Pack a padded, batch-first tensor (B, T, ...) for ``nn.RNN`` / ``nn.GRU`` / ``nn.LSTM``, so that they
    skip the padding: ``pack_padded_sequence`` with ``enforce_sorted=False`` (no need to sort the batch by
    length; the returned ``h_n`` rows are in the batch's own order).

    Introduced in {ref}`sec-rnn-text`. Undo with :func:`unpack`.
    """
    from torch.nn.utils.rnn import pack_padded_sequence

    lengths = _cpu_lengths(lengths, x)
    return pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)


def unpack(packed: Any, total_length: int | None = None) -> tuple[Any, Any]:
    """The padded batch-first tensor (B, T, ...) and lengths of a packed RNN output (zeros at padding).

    Introduced in {ref}`sec-rnn-text`. ``total_length`` pads to that length (e.g. the input's T) instead of
    the longest sequence.
    """
    from torch.nn.utils.rnn import pad_packed_sequence

    return pad_packed_sequence(packed, batch_first=True, total_length=total_length)


def _cpu_lengths(lengths: Any, x: Any) -> Any:
    import torch

    lengths = torch.as_tensor(lengths).to("cpu", torch.long)
    if lengths.dim() != 1 or len(lengths) != x.shape[0]:
        raise ValueError(f"lengths must be 1-D with one entry per row of x ({x.shape[0]}); got shape "
                         f"{tuple(lengths.shape)}")
    if int(lengths.min()) < 1 or int(lengths.max()) > x.shape[1]:
        raise ValueError(f"lengths must be between 1 and x.shape[1] = {x.shape[1]}; got "
                         f"{int(lengths.min())}..{int(lengths.max())}")
    return lengths


def length_batches(lengths: Sequence[int] | Any, batch_size: int, *, shuffle: bool = True,
                   generator: Any = None, bucket: int = 50) -> list[Any]:
    """Index batches that group sequences of similar length, so padding wastes little computation.

    Introduced in {ref}`sec-rnn-text`. With ``shuffle``: the indices are permuted (by ``generator``, a
    ``torch.Generator``), cut into windows of ``bucket`` batches, each window sorted by length and cut into
    batches, and the batches put in random order; a new call gives new batches. Without: sorted by length.
    Returns a list of LongTensors; every index appears exactly once. ``bucket=1`` is plain random batching.
    """
    import torch

    lengths = torch.as_tensor(lengths)
    if lengths.dim() != 1 or len(lengths) == 0:
        raise ValueError("lengths must be a non-empty 1-D sequence, one length per example")
    for name, v in (("batch_size", batch_size), ("bucket", bucket)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
            raise ValueError(f"{name} must be an int >= 1; got {v!r}")
    n = len(lengths)
    if not shuffle:
        order = torch.sort(lengths, stable=True).indices
        return list(order.split(batch_size))
    perm = torch.randperm(n, generator=generator)
    batches = []
    for window in perm.split(batch_size * bucket):
        window = window[torch.sort(lengths[window], stable=True).indices]
        batches.extend(window.split(batch_size))
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]
