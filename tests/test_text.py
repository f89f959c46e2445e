"""mlbook.text: tokenisers, the vocabulary, padding, masks, packing and length batches (fast, no data files)."""
from __future__ import annotations

import pytest
import torch

from mlbook.text import (BOS, EOS, PAD, UNK, Vocab, length_batches, length_mask, pack, pad_batch, tokenize_chars,
                         tokenize_en, unpack)

TRAIN = [["the", "film", "is", "good"], ["the", "film", "is", "bad"], ["a", "good", "film"]]


def test_tokenize_en():
    assert tokenize_en("It's a 90-minute film.") == ["it's", "a", "90", "-", "minute", "film", "."]
    assert tokenize_en("Don\u2019t  GO...") == ["don't", "go", ".", ".", "."]
    assert tokenize_en("one hundred and twenty-three") == ["one", "hundred", "and", "twenty", "-", "three"]
    assert tokenize_en("") == [] and tokenize_en("café") == ["café"]
    with pytest.raises(TypeError, match="takes a str"):
        tokenize_en(["a"])


def test_tokenize_chars():
    assert tokenize_chars("很好 看\n") == ["很", "好", "看"]
    assert tokenize_chars("一萬零一十") == ["一", "萬", "零", "一", "十"]
    with pytest.raises(TypeError, match="takes a str"):
        tokenize_chars(None)


def test_vocab_build_order_specials_and_counts():
    v = Vocab.build(TRAIN)
    # specials first; then by count (film 3, the/is/good 2 ...), ties alphabetically
    assert v.itos == [PAD, UNK, "film", "good", "is", "the", "a", "bad"]
    assert (v.pad_id, v.unk_id, v.bos_id, v.eos_id) == (0, 1, None, None) and v[PAD] == 0 and v[UNK] == 1
    assert v["film"] == 2 and v["never-seen"] == v.unk_id and "film" in v and "zzz" not in v
    assert v.counts["bad"] == 1 and len(v) == 8
    # the order does not depend on the order of the texts
    assert Vocab.build(TRAIN[::-1]).itos == v.itos
    assert "film" in repr(v) and "8 tokens" in repr(v)


def test_vocab_min_freq_max_size_bos_eos():
    assert Vocab.build(TRAIN, min_freq=2).itos == [PAD, UNK, "film", "good", "is", "the"]
    assert Vocab.build(TRAIN, max_size=4).itos == [PAD, UNK, "film", "good"]  # max_size counts the specials
    v = Vocab.build(TRAIN, min_freq=3, bos_eos=True)
    assert v.itos == [PAD, UNK, BOS, EOS, "film"] and (v.bos_id, v.eos_id) == (2, 3)
    assert Vocab.build([["<unk>", "x"]]).itos == [PAD, UNK, "x"]  # a literal special in the text is not added


def test_encode_decode_round_trip():
    v = Vocab.build(TRAIN, bos_eos=True)
    ids = v.encode(["the", "film", "is", "great"], bos=True, eos=True)
    assert ids[0] == v.bos_id and ids[-1] == v.eos_id and ids[4] == v.unk_id and len(ids) == 6
    assert v.decode(ids) == ["the", "film", "is", UNK]
    assert v.decode(ids + [v.pad_id, v.pad_id]) == ["the", "film", "is", UNK]
    assert v.decode(torch.tensor([v["good"], v.eos_id, v["bad"]])) == ["good"]  # stops at <eos>
    assert v.encode(["the", "film", "is"], max_len=2, eos=True) == [v["the"], v["film"], v.eos_id]
    assert v.encode([]) == []


def test_vocab_errors():
    v = Vocab.build(TRAIN)
    with pytest.raises(TypeError, match="tokenise first"):
        v.encode("the film")
    with pytest.raises(ValueError, match="bos_eos=True"):
        v.encode(["the"], bos=True)
    with pytest.raises(ValueError, match="not in this vocabulary"):
        v.decode([0, 99])
    with pytest.raises(ValueError, match="row by row"):
        v.decode([[1, 2]])
    with pytest.raises(ValueError, match="min_freq"):
        Vocab.build(TRAIN, min_freq=0)
    with pytest.raises(ValueError, match="max_size"):
        Vocab.build(TRAIN, max_size=2)
    with pytest.raises(ValueError, match="no texts"):
        Vocab.build([])
    with pytest.raises(TypeError, match="not a str"):
        Vocab.build("the film")
    with pytest.raises(TypeError, match="must be a str"):
        Vocab.build([["a", 3]])
    with pytest.raises(ValueError, match="special"):
        Vocab(["a", PAD])
    with pytest.raises(ValueError, match="distinct"):
        Vocab(["a", "a"])
    with pytest.raises(ValueError, match="max_len"):
        v.encode(["a"], max_len=0)


def test_pad_batch():
    x, lengths = pad_batch([[5, 6, 7], [8], torch.tensor([9, 10])])
    assert x.dtype == torch.long and lengths.dtype == torch.long and lengths.device.type == "cpu"
    assert x.tolist() == [[5, 6, 7], [8, 0, 0], [9, 10, 0]] and lengths.tolist() == [3, 1, 2]
    x, _ = pad_batch([[1], [2, 3]], pad_id=-1)
    assert x.tolist() == [[1, -1], [2, 3]]
    x, _ = pad_batch(([1, 2], [3]), device="cpu")
    assert x.shape == (2, 2)
    for bad, match in [([], "no sequences"), ([[1], []], "sequence 1 is empty"), ([[1.5]], "integer ids"),
                       ([[[1, 2]]], "1-D"), ("abc", "list of sequences"), (torch.zeros(2, 3, dtype=torch.long),
                                                                          "list of sequences")]:
        with pytest.raises(ValueError, match=match):
            pad_batch(bad)


def test_length_mask():
    mask = length_mask(torch.tensor([3, 1, 2]))
    assert mask.dtype == torch.bool and mask.tolist() == [[True, True, True], [True, False, False],
                                                          [True, True, False]]
    assert length_mask([2, 1], max_len=4).shape == (2, 4)
    with pytest.raises(ValueError, match="shorter than the longest"):
        length_mask([3], max_len=2)
    with pytest.raises(ValueError, match="1-D integer"):
        length_mask(torch.tensor([1.0]))


def test_pack_runs_each_sequence_as_if_alone():
    """A GRU over a packed, unsorted batch gives each sequence the final state it gets when run alone."""
    g = torch.Generator().manual_seed(0)
    seqs = [torch.randint(1, 20, (n,), generator=g) for n in (2, 5, 1, 4)]  # not sorted by length
    x, lengths = pad_batch(seqs)
    torch.manual_seed(0)
    emb, gru = torch.nn.Embedding(20, 3, padding_idx=0), torch.nn.GRU(3, 4, batch_first=True)
    with torch.no_grad():
        out, h = gru(pack(emb(x), lengths))
        padded, back = unpack(out, total_length=x.shape[1])
        assert padded.shape == (4, 5, 4) and back.tolist() == lengths.tolist()
        for i, s in enumerate(seqs):
            alone_out, alone_h = gru(emb(s)[None])
            torch.testing.assert_close(h[0, i], alone_h[0, 0])
            torch.testing.assert_close(padded[i, : len(s)], alone_out[0])
            assert (padded[i, len(s):] == 0).all()
        # Without packing, the padded steps change the final state of the shorter sequences.
        _, h_unpacked = gru(emb(x))
        assert not torch.allclose(h_unpacked[0, 0], h[0, 0])
    with pytest.raises(ValueError, match="between 1 and"):
        pack(emb(x), torch.tensor([2, 6, 1, 4]))
    with pytest.raises(ValueError, match="one entry per row"):
        pack(emb(x), torch.tensor([2, 5]))


def test_length_batches():
    g = torch.Generator().manual_seed(0)
    lengths = torch.randint(1, 100, (1000,), generator=g)
    batches = length_batches(lengths, 32, generator=torch.Generator().manual_seed(1))
    idx = torch.cat(batches)
    assert sorted(idx.tolist()) == list(range(1000)) and all(len(b) <= 32 for b in batches)
    same = length_batches(lengths, 32, generator=torch.Generator().manual_seed(1))
    assert all(torch.equal(a, b) for a, b in zip(batches, same))  # same generator state, same batches

    def padded_cells(bs):
        return sum(int(lengths[b].max()) * len(b) for b in bs)

    plain = length_batches(lengths, 32, generator=torch.Generator().manual_seed(1), bucket=1)
    assert padded_cells(batches) < 0.7 * padded_cells(plain), "bucketing should cut the padding"
    ordered = torch.cat(length_batches(lengths, 32, shuffle=False))
    assert (lengths[ordered].diff() >= 0).all()
    with pytest.raises(ValueError, match="batch_size"):
        length_batches(lengths, 0)
    with pytest.raises(ValueError, match="non-empty"):
        length_batches([], 4)


def test_import_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, mlbook.text; assert 'torch' not in sys.modules, 'torch was imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
