"""WordPiece vocabularies of 500 to 16,000 tokens: pieces of rare words, tokens per sentence.

WordPiece. Vocabularies of growing size are trained (with Hugging Face
`tokenizers`, npgrad[bert]) on the text bert-pretrain sees (WikiText-2 valid+test, Tiny
Shakespeare, the SST-2 training sentences), then the SST-2 test sentences are encoded in pure
Python: how many tokens a sentence takes at each size, how many of its words are split into
pieces or unknown, and how words the corpus rarely or never saw break into "##" pieces. The
pure-Python ids are checked against `tokenizers`' own on every test sentence.
"""

import collections
import os

from npgrad.analysis.plots import pyplot_or_none, save_figure
from npgrad.datasets import SST2
from npgrad.text import WordPieceTokenizer, basic_tokenize
from npgrad.utils.progress import progress
from npgrad.lessons import bert_pretrain, main

CONFIG = {"vocab_sizes": [500, 1000, 2000, 4000, 8000, 16000], "rare_words": 8, "corpus": bert_pretrain.CONFIG}
QUICK_CONFIG = {"vocab_sizes": [300, 1000, 3000], "rare_words": 4, "corpus": bert_pretrain.QUICK_CONFIG}


def config_for(quick):
    return QUICK_CONFIG if quick else CONFIG


def rare_words(texts, sentences, count):
    """`count` words of the test sentences, 8 letters or more, that the corpus has at most
    once, in order of first appearance."""
    frequency = collections.Counter(word for text in texts for word in basic_tokenize(text))
    chosen = []
    for sentence in sentences:
        for word in basic_tokenize(sentence):
            if len(word) >= 8 and word.isalpha() and frequency[word] <= 1 and word not in chosen:
                chosen.append(word)
    return chosen[:: max(1, len(chosen) // count)][:count]


def encoding_statistics(tokenizer, sentences):
    """Tokens per sentence, and the fractions of words split into pieces and of unknown words."""
    words = [word for sentence in sentences for word in basic_tokenize(sentence)]
    pieces = [tokenizer.wordpiece(word) for word in words]
    return {
        "tokens_per_sentence": sum(map(len, pieces)) / len(sentences),
        "words_per_sentence": len(words) / len(sentences),
        "split_words": sum(len(p) > 1 for p in pieces) / len(words),
        "unknown_words": sum(p == ["[UNK]"] for p in pieces) / len(words),
    }


def same_ids_as_tokenizers(tokenizer, path, sentences):
    """How many sentences the pure-Python encoder and `tokenizers` encode to the same ids."""
    from tokenizers import BertWordPieceTokenizer

    reference = BertWordPieceTokenizer(path, lowercase=True)
    return sum(tokenizer.encode(s)[0] == reference.encode(s).ids for s in sentences)


def plot_sizes(sizes, stats, path):
    plt = pyplot_or_none()
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot(sizes, [s["tokens_per_sentence"] for s in stats], "o-", label="WordPiece tokens per sentence")
    ax.axhline(stats[0]["words_per_sentence"], color="gray", ls=":", label="words per sentence")
    ax.set_xscale("log")
    ax.set_xlabel("vocabulary size")
    ax.set_ylabel("SST-2 test: tokens per sentence")
    ax.legend(fontsize=8)
    ax.set_title("a larger vocabulary: fewer, longer pieces", fontsize=10)
    return save_figure(fig, path, dpi=100)


def run(out_dir, quick=False):
    config = config_for(quick)
    texts = bert_pretrain.corpus_texts(bert_pretrain.pretraining_corpus(config["corpus"]))
    test = SST2(split="test").sentences
    words = rare_words(texts, test, config["rare_words"])
    stats, pieces, agreements = [], {}, []
    for size in progress(config["vocab_sizes"], desc="vocabularies", unit="vocabulary"):
        tokenizer = WordPieceTokenizer.train(texts, vocab_size=size)
        path = tokenizer.save(os.path.join(out_dir, f"vocab-{size}.txt"))
        stats.append({"vocab_size": len(tokenizer), **encoding_statistics(tokenizer, test)})
        pieces[size] = {word: tokenizer.wordpiece(word) for word in words}
        agreements.append(same_ids_as_tokenizers(tokenizer, path, test))
    print(f"trained on {len(texts):,} sentences; encoded: the {len(test)} SST-2 test sentences\n")
    print("| vocabulary | tokens per sentence | words split into pieces | unknown words | same ids as tokenizers |")
    print("|---|---|---|---|---|")
    for s, agree in zip(stats, agreements):
        print(
            f"| {s['vocab_size']:,} | {s['tokens_per_sentence']:.2f} (words: {s['words_per_sentence']:.2f}) | "
            f"{s['split_words']:.1%} | {s['unknown_words']:.2%} | {agree}/{len(test)} |"
        )
    print("\nwords of the test set that the corpus has at most once, at each vocabulary size:\n")
    print(f"| word | {' | '.join(f'{size:,}' for size in config['vocab_sizes'])} |")
    print(f"|---|{'---|' * len(config['vocab_sizes'])}")
    for word in words:
        print(f"| {word} | {' | '.join(' '.join(pieces[size][word]) for size in config['vocab_sizes'])} |")
    figure = plot_sizes(config["vocab_sizes"], stats, os.path.join(out_dir, "tokens_per_sentence.png"))
    return {
        "statistics": stats,
        "rare_words": {str(size): p for size, p in pieces.items()},
        "same_ids_as_tokenizers": agreements,
        "test_sentences": len(test),
        "figures": [figure],
    }


READ_NEXT = """
the tokenizer: npgrad/text/wordpiece.py WordPieceTokenizer (train, tokenize, wordpiece, encode)
  and basic_tokenize
the corpus (bert-pretrain's): npgrad/lessons/bert_pretrain.py pretraining_corpus
the page: docs/lessons/wordpiece.md
"""

if __name__ == "__main__":
    main(run)
