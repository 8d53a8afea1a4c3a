"""npgrad.text (tokenising, vocabularies, batching, sampling, beam search, perplexity, BLEU)
and the translation data sets in npgrad.datasets.translation."""

import math
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import npgrad
from npgrad import datasets
from npgrad import text
from npgrad.datasets import translation
from npgrad.text import Vocab

DATA = Path(os.environ.get("NPGRAD_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")


def needs(folder):
    return pytest.mark.skipif(
        not (DATA / folder).is_dir(), reason=f"{DATA / folder} not found; set NPGRAD_DATA to the shared data folder"
    )


def needs_sacrebleu():
    return pytest.importorskip("sacrebleu", reason='BLEU needs sacrebleu: pip install "npgrad[text]"')


# -- tokenising and normalising ---------------------------------------------------------------


def test_basic_english_splits_off_punctuation_and_lowercases():
    assert text.basic_english("Don't STOP, now!") == ["don", "'", "t", "stop", ",", "now", "!"]


def test_normalize_is_the_tutorial_cleaning_for_french():
    assert text.normalize("Ça va\u202f?", "fr") == "ca va ?"  # the narrow no-break space of French typography
    assert text.normalize("J'ai 19 ans, l’été.", "fr") == "j ai ans l ete ."
    assert text.normalize("Le cœur!", "fr") == "le coeur !"
    assert text.normalize("I'm cold...") == "i m cold . . ."
    assert text.normalize("Die Straße.", "de") == "die strasse ."


def test_normalize_keeps_hangul_syllables_only_for_korean():
    assert text.normalize("안녕하세요, Tom!", "ko") == "안녕하세요 tom !"
    assert text.normalize("안녕하세요, Tom!", "en") == "tom !"
    with pytest.raises(ValueError, match="unknown language 'xx'"):
        text.normalize("hi", "xx")


# -- vocabularies -----------------------------------------------------------------------------

SENTENCES = [["the", "cat", "sat"], ["the", "dog", "sat", "down"], ["a", "cat"]]


def test_vocab_specials_come_first_then_tokens_by_frequency_ties_by_first_appearance():
    vocab = Vocab.build(SENTENCES)
    assert vocab.itos == ["<pad>", "<bos>", "<eos>", "<unk>", "the", "cat", "sat", "dog", "down", "a"]
    assert (vocab.pad_id, vocab.bos_id, vocab.eos_id, vocab.unk_id) == (0, 1, 2, 3)
    assert vocab.stoi["dog"] == 7 and vocab["dog"] == 7 and vocab.lookup(7) == "dog" and len(vocab) == 10
    assert Vocab.build(SENTENCES, order="sorted").itos[4:] == ["a", "cat", "dog", "down", "sat", "the"]


def test_vocab_min_freq_max_size_and_custom_specials():
    assert Vocab.build(SENTENCES, min_freq=2).itos[4:] == ["the", "cat", "sat"]
    assert Vocab.build(SENTENCES, max_size=6).itos == ["<pad>", "<bos>", "<eos>", "<unk>", "the", "cat"]
    custom = Vocab.build(SENTENCES, specials=("<unk>", "<pad>"))
    assert custom.unk_id == 0 and custom.pad_id == 1 and custom.bos_id is None and custom["zebra"] == 0
    with pytest.raises(ValueError, match="no room"):
        Vocab.build(SENTENCES, max_size=3)
    with pytest.raises(ValueError, match=r"\['the'\] appear more than once"):
        Vocab(["the", "cat", "the"])


def test_vocab_is_the_same_for_the_same_corpus():
    shuffled = [SENTENCES[i] for i in (0, 1, 2)]
    assert Vocab.build(shuffled) == Vocab.build([list(s) for s in SENTENCES])
    assert Vocab.build(SENTENCES[::-1]).itos != Vocab.build(SENTENCES).itos  # first appearance breaks ties


def test_encode_decode_round_trip_and_unknown_tokens():
    vocab = Vocab.build(SENTENCES)
    ids = vocab.encode(["the", "dog", "sat"], add_bos=True, add_eos=True)
    assert ids.dtype == np.int64 and ids.tolist() == [1, 4, 7, 6, 2]
    assert vocab.decode(ids) == "the dog sat"
    assert vocab.decode(ids, strip_special=False) == "<bos> the dog sat <eos>"
    assert vocab.encode(["the", "zebra"]).tolist() == [4, 3]
    assert vocab.decode([4, 3, 2, 5, 0]) == "the <unk>"  # stops at <eos>; <unk> stays
    assert vocab.decode_tokens(np.array([0, 0, 9])) == ["a"]
    with pytest.raises(IndexError, match="id 10 is out of range"):
        vocab.decode([10])


def test_vocab_without_unk_refuses_unknown_tokens():
    chars = Vocab.from_text("hello world")
    assert chars.itos == [" ", "d", "e", "h", "l", "o", "r", "w"] and chars.unk_id is None
    assert chars.decode(chars.encode("hello")) == "hello"
    with pytest.raises(KeyError, match="'p' is not in the vocabulary, and it has no <unk>"):
        chars.encode("help")


def test_word_level_from_text_orders_by_frequency():
    vocab = Vocab.from_text("The cat. The dog!", level="word", specials=text.SPECIALS)
    assert vocab.itos[4:] == ["the", "cat", ".", "dog", "!"] and vocab.separator == " "
    with pytest.raises(ValueError, match="level must be"):
        Vocab.from_text("x", level="byte")


def test_vocab_saves_beside_the_weights(tmp_path):
    vocab = Vocab.build(SENTENCES, min_freq=1)
    weights = {"embedding.weight": np.ones((len(vocab), 4), dtype=np.float32)}
    npgrad.save({"model": weights, "vocab": vocab.state_dict()}, tmp_path / "model.safetensors")
    loaded = npgrad.load(tmp_path / "model.safetensors")
    again = Vocab.from_state_dict(loaded["vocab"])
    assert again == vocab and again.encode(["cat", "zebra"]).tolist() == [5, 3]
    assert np.array_equal(loaded["model"]["embedding.weight"], weights["embedding.weight"])
    with pytest.raises(ValueError, match="must start with the specials"):
        Vocab.from_state_dict({**vocab.state_dict(), "itos": vocab.itos[1:]})


@needs("tinyshakespeare")
def test_character_vocab_of_tiny_shakespeare_matches_the_dataset():
    shakespeare = datasets.TinyShakespeare(root=DATA, download=False)
    whole = (DATA / "tinyshakespeare" / "input.txt").read_text(encoding="utf-8")
    vocab = Vocab.from_text(whole)
    assert len(vocab) == 65 and vocab.itos == shakespeare.classes and vocab.separator == ""
    assert np.array_equal(vocab.encode(shakespeare.text[:1000]), shakespeare.data[:1000])
    assert vocab.decode(shakespeare.data[:14]) == "First Citizen:"


# -- batches ----------------------------------------------------------------------------------


def test_batchify_cuts_the_stream_into_contiguous_rows():
    batched = text.batchify(np.arange(11), 3)
    assert batched.dtype == np.int64
    assert batched.tolist() == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]  # 9 and 10 do not fill a column
    with pytest.raises(ValueError, match="too few"):
        text.batchify(np.arange(5), 3)


def test_bptt_windows_cover_the_stream_with_targets_one_token_later():
    batched = text.batchify(np.arange(2 * 11), 2)  # rows 0..10 and 11..21
    windows = list(text.bptt_batches(batched, 4))
    assert [x.shape for x, _ in windows] == [(2, 4), (2, 4), (2, 2)]
    inputs = np.concatenate([x for x, _ in windows], axis=1)
    targets = np.concatenate([y for _, y in windows], axis=1)
    assert np.array_equal(inputs, batched[:, :-1]) and np.array_equal(targets, batched[:, 1:])
    assert windows[1][0].tolist() == [[4, 5, 6, 7], [15, 16, 17, 18]]


def test_random_windows_are_seeded_slices_of_the_stream():
    ids = np.arange(12) * 10
    x, y = text.random_windows(ids, 500, 4, generator=np.random.default_rng(0))
    assert x.shape == y.shape == (500, 4) and x.dtype == np.int64
    starts = x[:, 0] // 10
    assert np.array_equal(x, ids[starts[:, None] + np.arange(4)]) and np.array_equal(y, x + 10)
    assert set(starts.tolist()) == set(range(8))  # every window that fits, the last included
    again, _ = text.random_windows(ids, 500, 4, generator=np.random.default_rng(0))
    assert np.array_equal(x, again)
    generator = np.random.default_rng(0)
    assert not np.array_equal(*(text.random_windows(ids, 500, 4, generator)[0] for _ in range(2)))


def test_pad_batch_pads_after_the_tokens():
    padded, lengths = text.pad_batch([np.array([5, 6, 7]), [8], np.array([], dtype=np.int64)], pad_id=0)
    assert padded.dtype == np.int64 and lengths.dtype == np.int64
    assert padded.tolist() == [[5, 6, 7], [8, 0, 0], [0, 0, 0]] and lengths.tolist() == [3, 1, 0]
    with pytest.raises(ValueError, match="at least one"):
        text.pad_batch([])


def test_bucketing_keeps_every_item_once_and_wastes_less_padding():
    lengths = np.random.default_rng(1).integers(1, 60, size=1003)
    sampler = text.BucketBatchSampler(lengths, 32, generator=0)
    batches = sampler.batches()
    assert len(batches) == len(sampler) == 32 and max(len(b) for b in batches) == 32
    assert sorted(np.concatenate(batches).tolist()) == list(range(1003))

    def padding(batches):
        return sum(lengths[b].max() * len(b) - lengths[b].sum() for b in batches) / lengths.sum()

    random_batches = np.array_split(np.random.default_rng(2).permutation(1003), 32)
    assert padding(batches) < 0.1 < padding(random_batches)


def test_bucketing_is_seeded_and_shuffles_every_epoch():
    lengths = np.random.default_rng(1).integers(1, 60, size=200)
    first, second = (text.BucketBatchSampler(lengths, 8, generator=0) for _ in range(2))
    epochs = [[b.tolist() for b in sampler] for sampler in (first, second, first)]
    assert epochs[0] == epochs[1] and epochs[0] != epochs[2]
    in_order = [b.tolist() for b in text.BucketBatchSampler(lengths, 8, shuffle=False, pool_batches=100)]
    assert np.concatenate(in_order).tolist() == np.argsort(lengths, kind="stable").tolist()


# -- sampling and generation ------------------------------------------------------------------

LOGITS = np.log(np.array([0.05, 0.3, 0.1, 0.4, 0.15], dtype=np.float32))


def test_top_k_never_samples_outside_the_k_best():
    draws = text.sample_logits(np.tile(LOGITS, (5000, 1)), top_k=2, generator=0)
    assert draws.dtype == np.int64 and set(draws.tolist()) == {1, 3}


def test_top_p_keeps_the_smallest_nucleus():
    logits = np.tile(LOGITS, (5000, 1))
    assert set(text.sample_logits(logits, top_p=0.65, generator=0).tolist()) == {1, 3}
    assert set(text.sample_logits(logits, top_p=0.75, generator=0).tolist()) == {1, 3, 4}
    assert set(text.sample_logits(logits, top_p=0.01, generator=0).tolist()) == {3}


def test_zero_and_tiny_temperatures_are_argmax():
    logits = np.random.default_rng(0).normal(size=(50, 30)).astype(np.float32)
    assert np.array_equal(text.sample_logits(logits, temperature=0), logits.argmax(axis=1))
    assert np.array_equal(text.sample_logits(logits, temperature=1e-4, generator=0), logits.argmax(axis=1))


def test_sampling_is_reproducible_with_a_seed():
    logits = np.zeros((100, 10), dtype=np.float32)
    assert np.array_equal(text.sample_logits(logits, generator=3), text.sample_logits(logits, generator=3))
    assert not np.array_equal(text.sample_logits(logits, generator=3), text.sample_logits(logits, generator=4))
    npgrad.manual_seed(7)
    first = text.sample_logits(logits)
    npgrad.manual_seed(7)
    assert np.array_equal(first, text.sample_logits(logits))


def test_temperature_one_samples_follow_the_softmax():
    n = 100_000
    counts = np.bincount(text.sample_logits(np.tile(LOGITS, (n, 1)), generator=0), minlength=5)
    expected = n * text.softmax(LOGITS)
    chi_square = np.sum((counts - expected) ** 2 / expected)
    assert chi_square < 18.5  # the 99.9 % point of chi-square with 4 degrees of freedom
    hotter = np.bincount(text.sample_logits(np.tile(LOGITS, (n, 1)), temperature=2, generator=0), minlength=5)
    assert np.all(np.abs(hotter / n - text.softmax(LOGITS / 2)) < 0.01)


def test_generate_continues_every_row_and_repeats_with_a_seed():
    vocab_size = 7
    seen = []

    def count_up(ids):  # a "model" that is sure the next token is the last one plus 1
        seen.append(ids.shape)
        return 5 * np.eye(vocab_size, dtype=np.float32)[(ids[:, -1] + 1) % vocab_size]

    out = text.generate(count_up, np.array([[0, 1], [4, 5]]), 4, temperature=0)
    assert out.dtype == np.int64 and out.tolist() == [[0, 1, 2, 3, 4, 5], [4, 5, 6, 0, 1, 2]]
    assert seen == [(2, 2), (2, 3), (2, 4), (2, 5)]
    assert text.generate(count_up, np.array([3]), 2, temperature=0).tolist() == [3, 4, 5]
    sampled = [text.generate(count_up, np.zeros((3, 1), np.int64), 20, generator=5) for _ in range(2)]
    assert np.array_equal(*sampled) and not np.all(np.diff(sampled[0], axis=1) % vocab_size == 1)


# -- greedy and beam search -------------------------------------------------------------------

BOS_ID, EOS_ID, A, B = 0, 1, 2, 3


def tree_decoder(tree):
    """A step function whose next-token probabilities depend on the whole prefix, which it
    keeps in its state (k, t): if beams were reordered wrongly, it would answer for the
    wrong prefix. tree maps a prefix of tokens after <bos> to {token: probability}."""

    def step(previous, prefixes):
        prefixes = np.concatenate([prefixes, previous[:, None]], axis=1)
        probabilities = np.full((len(prefixes), 4), 1e-6)
        for row, prefix in enumerate(prefixes):
            for token, p in tree.get(tuple(prefix[1:].tolist()), {EOS_ID: 1.0}).items():
                probabilities[row, token] = p
        return np.log(probabilities).astype(np.float32), prefixes

    return step


NO_PREFIX = np.zeros((1, 0), dtype=np.int64)
# greedy takes A (0.6) and then ends at 0.6 * 0.35 = 0.21; "B <eos>" has 0.4 * 0.9 = 0.36
GREEDY_TRAP = {(): {A: 0.6, B: 0.4}, (A,): {EOS_ID: 0.35, A: 0.33, B: 0.32}, (B,): {EOS_ID: 0.9, A: 0.05, B: 0.05}}


def test_beam_search_finds_the_best_sequence_where_greedy_fails():
    step = tree_decoder(GREEDY_TRAP)
    greedy = text.greedy_search(step, NO_PREFIX, BOS_ID, EOS_ID, max_len=10)
    assert greedy[0].tolist() == [A, EOS_ID]
    beams = text.beam_search(step, NO_PREFIX, BOS_ID, EOS_ID, beam_size=2, max_len=10)
    assert [h.tokens.tolist() for h in beams] == [[B, EOS_ID], [A, EOS_ID]]
    assert math.isclose(beams[0].log_prob, math.log(0.36), rel_tol=1e-5)
    assert math.isclose(beams[0].score, math.log(0.36) / 2, rel_tol=1e-5)


def test_length_penalty_decides_between_short_and_long():
    # "<eos>" alone has probability 0.5; "A <eos>" has 0.45, but 0.67 per token
    step = tree_decoder({(): {EOS_ID: 0.5, A: 0.5}, (A,): {EOS_ID: 0.9, A: 0.1}})
    short = text.beam_search(step, NO_PREFIX, BOS_ID, EOS_ID, beam_size=2, max_len=5, length_penalty=0)
    long = text.beam_search(step, NO_PREFIX, BOS_ID, EOS_ID, beam_size=2, max_len=5, length_penalty=1)
    assert short[0].tokens.tolist() == [EOS_ID] and long[0].tokens.tolist() == [A, EOS_ID]


def test_beam_search_stops_at_max_len_with_unfinished_beams():
    coin = {A: 0.5, B: 0.5}
    step = tree_decoder({(): coin, (A,): coin, (B,): coin, (A, A): coin, (A, B): coin})
    beams = text.beam_search(step, NO_PREFIX, BOS_ID, EOS_ID, beam_size=2, max_len=3)
    assert [h.tokens.tolist() for h in beams] == [[A, A, A], [A, A, B]]
    assert beams[0].log_prob == pytest.approx(3 * math.log(0.5), rel=1e-5)


def random_rnn_decoder(vocab_size=11, hidden=8, seed=0, beam_axis=0):
    """A fixed random recurrent decoder: h' = tanh(h A + E[token]), log_probs = log_softmax(h' W).
    Its state is an (k, hidden) array, or with beam_axis=1 an RNN-style (h,) of Tensors
    (1, k, hidden)."""
    rng = np.random.default_rng(seed)
    recur, embed, out = (
        rng.normal(size=s).astype(np.float32) for s in [(hidden, hidden), (vocab_size, hidden), (hidden, vocab_size)]
    )

    def step(previous, state):
        h = state if beam_axis == 0 else state[0].numpy()[0]
        h = np.tanh(h @ recur + embed[previous])
        logits = 2 * h @ out
        log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        return log_probs, (h if beam_axis == 0 else (npgrad.Tensor(h[None]),))

    start = rng.normal(size=(1, hidden)).astype(np.float32)
    return step, (start if beam_axis == 0 else (npgrad.Tensor(start[None]),))


@pytest.mark.parametrize("seed", range(5))
def test_beam_size_one_is_greedy(seed):
    step, state = random_rnn_decoder(seed=seed)
    greedy = text.greedy_search(step, state, BOS_ID, EOS_ID, max_len=15)[0]
    beam = text.beam_search(step, state, BOS_ID, EOS_ID, beam_size=1, max_len=15)
    assert len(beam) == 1 and beam[0].tokens.tolist() == greedy.tolist()


def test_beam_state_may_be_tensors_on_another_axis():
    arrays = text.beam_search(*random_rnn_decoder(seed=3), BOS_ID, EOS_ID, beam_size=4, max_len=12)
    tensors = text.beam_search(
        *random_rnn_decoder(seed=3, beam_axis=1), BOS_ID, EOS_ID, beam_size=4, max_len=12, beam_axis=1
    )
    assert [h.tokens.tolist() for h in arrays] == [h.tokens.tolist() for h in tensors]
    assert [h.score for h in arrays] == pytest.approx([h.score for h in tensors])


def test_beam_search_drives_an_npgrad_gru_decoder():
    nn, F = npgrad.nn, npgrad.nn.functional
    vocab_size, hidden = 12, 16
    embedding, gru, project = (
        nn.Embedding(vocab_size, hidden),
        nn.GRU(hidden, hidden, batch_first=True),
        nn.Linear(hidden, vocab_size),
    )

    def step(previous, h):  # h: Tensor (layers, k, hidden), the beams on axis 1
        output, h = gru(embedding(npgrad.tensor(previous[:, None])), h)
        return F.log_softmax(project(output[:, 0]), dim=-1), h

    h0 = npgrad.randn(1, 1, hidden)
    greedy = text.greedy_search(step, h0, BOS_ID, EOS_ID, max_len=10)[0]
    beams = text.beam_search(step, h0, BOS_ID, EOS_ID, beam_size=1, max_len=10, beam_axis=1)
    assert beams[0].tokens.tolist() == greedy.tolist()

    def rescored(tokens):  # the log-probability of `tokens`, fed to the decoder one beam at a time
        h, total = h0, 0.0
        for previous, token in zip([BOS_ID, *tokens[:-1]], tokens):
            log_probs, h = step(np.array([previous]), h)
            total += log_probs.detach().numpy()[0, token]
        return total

    wide = text.beam_search(step, h0, BOS_ID, EOS_ID, beam_size=4, max_len=10, beam_axis=1)
    assert len({tuple(h.tokens.tolist()) for h in wide}) == 4
    assert [h.log_prob for h in wide] == pytest.approx([rescored(h.tokens.tolist()) for h in wide], rel=1e-4)


def test_greedy_search_decodes_a_batch_and_cuts_after_eos():
    step = tree_decoder({(): {A: 0.9}, (A,): {EOS_ID: 0.9}})
    rows = text.greedy_search(step, np.zeros((3, 0), np.int64), BOS_ID, EOS_ID, max_len=6, batch_size=3)
    assert [r.tolist() for r in rows] == [[A, EOS_ID]] * 3


def test_reorder_state_indexes_nested_arrays_and_tensors():
    h = np.arange(6).reshape(3, 2)
    state = {"rnn": (npgrad.Tensor(h), h), "cache": [np.arange(3)], "nothing": None}
    moved = text.reorder_state(state, np.array([2, 2, 0]))
    assert set(moved) == set(state) and moved["nothing"] is None and moved["cache"][0].tolist() == [2, 2, 0]
    assert isinstance(moved["rnn"], tuple) and isinstance(moved["rnn"][0], npgrad.Tensor)
    assert moved["rnn"][0].numpy().tolist() == moved["rnn"][1].tolist() == [[4, 5], [4, 5], [0, 1]]
    layers_first = text.reorder_state(h[None], np.array([2, 0]), axis=1)  # an RNN's (layers, beams, hidden)
    assert layers_first.tolist() == [[[4, 5], [0, 1]]]
    with pytest.raises(TypeError, match="cannot index a str"):
        text.reorder_state("hidden", np.array([0]))


# -- perplexity and BLEU ----------------------------------------------------------------------


def test_perplexity_of_a_uniform_model_is_the_vocabulary_size():
    vocab_size = 50
    log_probs = np.full((64, vocab_size), -np.log(vocab_size), dtype=np.float32)
    targets = np.random.default_rng(0).integers(0, vocab_size, size=64)
    mean_nll = -log_probs[np.arange(64), targets].mean()
    assert text.perplexity(mean_nll) == pytest.approx(vocab_size, rel=1e-5)
    assert text.perplexity(npgrad.tensor(mean_nll)) == pytest.approx(vocab_size, rel=1e-5)


def test_perplexity_weighs_batches_by_their_tokens():
    batches = [(10 * 2.0, 10), (30 * 1.0, 30)]  # mean NLL 2 over 10 tokens, 1 over 30
    assert text.perplexity(batches) == pytest.approx(math.exp(50 / 40))
    with pytest.raises(ValueError, match="no tokens"):
        text.perplexity([(0.0, 0)])
    with pytest.raises(ValueError, match=r"\(sum_nll, n_tokens\) pairs, got shape \(2,\)"):
        text.perplexity([2.0, 10])


def test_bleu_of_identical_corpus_is_100():
    needs_sacrebleu()
    sentences = ["the cat sat on the mat .", "he is a teacher ."]
    assert text.bleu(sentences, sentences) == pytest.approx(100)
    assert text.sentence_bleu(sentences[0], sentences[0]) == pytest.approx(100)


def test_bleu_agrees_with_sacrebleu():
    sacrebleu = needs_sacrebleu()
    hypotheses = ["the cat is on the mat .", "there is a cat here .", "he reads a book"]
    references = ["the cat sat on the mat .", "a cat is here .", "he is reading a book"]
    expected = sacrebleu.corpus_bleu(hypotheses, [references]).score
    assert 0 < expected < 100 and text.bleu(hypotheses, references) == pytest.approx(expected)
    second = ["a cat is on the mat .", "there is a cat here .", "he reads a book ."]
    both = sacrebleu.corpus_bleu(hypotheses, [references, second]).score
    assert text.bleu(hypotheses, list(zip(references, second))) == pytest.approx(both) and both > expected
    assert text.sentence_bleu(hypotheses[1], references[1]) == pytest.approx(
        sacrebleu.sentence_bleu(hypotheses[1], [references[1]]).score
    )


def test_bleu_refuses_token_lists_and_mismatched_lengths():
    with pytest.raises(TypeError, match="list of strings"):
        text.bleu([["the", "cat"]], ["the cat"])
    with pytest.raises(ValueError, match="2 hypotheses but 1 references"):
        text.bleu(["a", "b"], ["a"])


def test_bleu_without_sacrebleu_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sacrebleu", None)  # makes `import sacrebleu` fail
    with pytest.raises(ImportError, match=r'pip install "npgrad\[text\]"'):
        text.bleu(["a cat"], ["a cat"])


# -- translation data -------------------------------------------------------------------------

FRA, KOR, MULTI30K = "translation/anki-fra-eng", "translation/anki-kor-eng", "translation/multi30k-task1-raw"
TUTORIAL = dict(normalize=True, max_length=datasets.TUTORIAL_MAX_LENGTH, english_prefixes=datasets.TUTORIAL_PREFIXES)


@needs(FRA)
def test_french_pairs_all_and_reversed():
    pairs = datasets.TatoebaPairs("fr", root=DATA)
    assert len(pairs) == 142_787 and pairs[0] == ("Go.", "Va !")
    assert (pairs.source_language, pairs.target_language) == ("en", "fr")
    reverse = datasets.TatoebaPairs("fr", root=DATA, reverse=True)
    assert reverse[0] == ("Va !", "Go.") and reverse.source_language == "fr" and len(reverse) == 142_787


@pytest.fixture(scope="module")
def french_tutorial_pairs():
    return datasets.TatoebaPairs("fr", root=DATA, reverse=True, **TUTORIAL)


@needs(FRA)
def test_tutorial_filter_on_french_pairs(french_tutorial_pairs):
    kept = french_tutorial_pairs
    assert len(kept) == 10_924
    assert all(english.startswith(datasets.TUTORIAL_PREFIXES) for _, english in kept)
    assert max(len(s.split()) for pair in kept for s in pair) == datasets.TUTORIAL_MAX_LENGTH - 1
    assert ("je suis difficile .", "i m fussy .") in kept.pairs


@needs(FRA)
def test_seeded_splits_partition_the_pairs(french_tutorial_pairs):
    splits = [
        datasets.TatoebaPairs("fr", name, root=DATA, reverse=True, **TUTORIAL).pairs
        for name in ("train", "val", "test")
    ]
    assert [len(p) for p in splits] == [8740, 1092, 1092]
    assert sorted(sum(splits, [])) == sorted(french_tutorial_pairs.pairs)


@needs(KOR)
def test_splits_are_the_same_for_the_same_seed():
    val = datasets.TatoebaPairs("ko", "val", root=DATA).pairs
    assert len(val) == 380 and datasets.TatoebaPairs("ko", "val", root=DATA).pairs == val
    assert datasets.TatoebaPairs("ko", "val", root=DATA, seed=1).pairs != val


@needs(KOR)
def test_korean_pairs_keep_hangul():
    pairs = datasets.TatoebaPairs("ko", root=DATA)
    assert len(pairs) == 3_798 and pairs[2] == ("Run!", "뛰어!")
    kept = datasets.TatoebaPairs("ko", root=DATA, reverse=True, **TUTORIAL)
    assert len(kept) == 198 and kept[0] == ("슬퍼 .", "i m sad .")


@needs(MULTI30K)
def test_multi30k_splits_and_language_pairs():
    train = datasets.Multi30k(root=DATA, download=False)
    assert len(train) == 29_000 and train[0][1] == "Two young, White males are outside near many bushes."
    assert train[0][0].startswith("Zwei junge weiße Männer")
    assert len(datasets.Multi30k("val", root=DATA, download=False)) == 1_014
    test = datasets.Multi30k("test", ("en", "fr"), root=DATA, download=False)
    assert len(test) == 1_000 and test.split == "test_2016_flickr" and test.target_language == "fr"
    with pytest.raises(ValueError, match="no file \\['test_2017_mscoco.cs'\\]"):
        datasets.Multi30k("test_2017_mscoco", ("en", "cs"), root=DATA, download=False)


def test_translation_pairs_filter_your_own_pairs():
    pairs = [("I'm cold.", "J'ai froid."), ("Hello there.", "Salut."), ("He's a very very very very tall man.", "x")]
    kept = datasets.TranslationPairs(pairs, ("en", "fr"), english_prefixes=datasets.TUTORIAL_PREFIXES)
    assert kept.pairs == [pairs[0], pairs[2]] and kept.sources == ["I'm cold.", pairs[2][0]]
    short = datasets.TranslationPairs(pairs, ("en", "fr"), normalize=True, max_length=8)
    assert short.pairs == [("i m cold .", "j ai froid ."), ("hello there .", "salut .")]
    with pytest.raises(ValueError, match="needs an English side"):
        datasets.TranslationPairs(pairs, ("de", "fr"), english_prefixes=("i am ",))


def test_tatoeba_file_missing_says_it_must_be_fetched_by_hand(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        datasets.TatoebaPairs("fr", root=tmp_path)
    message = str(error.value)
    assert "translation/anki-fra-eng/fra.txt.gz is missing" in message
    assert "cannot be downloaded automatically" in message and "manythings.org" in message
    assert str(tmp_path / "translation" / "anki-fra-eng" / "fra.txt.gz") in message


def test_multi30k_file_missing_names_its_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="multi30k/dataset/master/data/task1/raw/val.de.gz"):
        datasets.Multi30k("val", root=tmp_path, download=False)


def test_tatoeba_checksum_mismatch_names_the_file(tmp_path):
    folder = tmp_path / "translation" / "anki-kor-eng"
    folder.mkdir(parents=True)
    (folder / "kor.txt").write_text("Go.\t가.\tCC-BY 2.0 (France)\n", encoding="utf-8")
    with pytest.raises(datasets.CorruptFileError, match=r"kor.txt is corrupt .* expected 3988edfd"):
        datasets.TatoebaPairs("ko", root=tmp_path)


def test_malformed_pair_file_names_the_line():
    assert translation._read_tab_separated("Go.\tVa !\nHi.\tSalut !\n".encode()).shape == (2, 2)
    with pytest.raises(ValueError, match="line 2 has no tab"):
        translation._read_tab_separated(b"Go.\tVa !\nHi.\n")
