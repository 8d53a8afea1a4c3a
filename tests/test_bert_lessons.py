"""SST-2 (npgrad.datasets.SST2) and quick runs of the BERT lessons: wordpiece, bert-pretrain,
bert-finetune and masking-ratio."""

import os
from pathlib import Path

import numpy as np
import pytest

from npgrad import datasets
from npgrad.datasets import sst2

DATA = Path(os.environ.get("NPGRAD_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
FOLDERS = ("sst2", "wikitext-2", "tinyshakespeare")
if not all((DATA / folder).is_dir() for folder in FOLDERS):
    pytest.skip(f"{', '.join(FOLDERS)} not found under NPGRAD_DATA={DATA}", allow_module_level=True)


# ----------------------------------------------------------------------------- SST2
def test_sst2_splits_have_the_readme_rows_and_balance():
    expected = {"train": (60_614, 33_828), "dev": (6_735, 3_741), "test": (872, 444)}
    for split, (rows, positive) in expected.items():
        data = datasets.SST2(DATA, split)
        assert len(data) == len(data.sentences) == rows and int(data.targets.sum()) == positive
        assert data.targets.dtype == np.int64 and set(np.unique(data.targets)) == {0, 1}
    test = datasets.SST2(DATA, "test")
    assert test[0] == ("it 's a charming and often affecting journey .", 1)
    assert repr(test) == "SST2(test: 872 sentences, 444 positive, 428 negative)"
    assert all(s == s.strip() and s for s in test.sentences)


def test_sst2_errors_name_the_file_and_the_problem(tmp_path):
    with pytest.raises(ValueError, match=r"split must be one of \['dev', 'test', 'train'\], got 'valid'"):
        datasets.SST2(DATA, "valid")
    with pytest.raises(FileNotFoundError) as error:
        datasets.SST2(tmp_path, "test")
    message = str(error.value)
    assert "sst2/test.tsv is missing" in message and "cannot be downloaded automatically" in message
    assert "forest-snow/alps" in message and str(tmp_path / "sst2") in message
    (tmp_path / "sst2").mkdir()
    changed = (DATA / "sst2" / "test.tsv").read_bytes().replace(b"journey . \t1", b"journey . \t0", 1)
    (tmp_path / "sst2" / "test.tsv").write_bytes(changed)
    with pytest.raises(datasets.CorruptFileError, match="test.tsv is corrupt or truncated"):
        datasets.SST2(tmp_path, "test")
    with pytest.raises(ValueError, match="expected the header 'sentence\\\\tlabel'"):
        sst2._read_tsv(b"text\tlabel\na\t1\n")
    with pytest.raises(ValueError, match="line 3 is not 'sentence<TAB>0 or 1'"):
        sst2._read_tsv(b"sentence\tlabel\na\t1\nb\t2\n")


# ----------------------------------------------------------------------------- the lessons
@pytest.fixture
def bert_lesson(quick_lesson):
    """quick_lesson, once the vocabularies can be trained."""
    pytest.importorskip("tokenizers", reason='the vocabulary is trained with tokenizers: pip install -e ".[bert]"')
    return quick_lesson


def test_wordpiece_lesson(bert_lesson):
    result = bert_lesson("wordpiece")[0]
    tokens = [s["tokens_per_sentence"] for s in result["statistics"]]
    assert all(a > b + 3 for a, b in zip(tokens, tokens[1:]))  # 300 -> 1,000 -> 3,000 tokens: 51 -> 39 -> 31
    assert tokens[-1] > result["statistics"][-1]["words_per_sentence"]
    assert result["same_ids_as_tokenizers"] == [result["test_sentences"]] * len(tokens) == [872] * 3
    smallest = result["rare_words"]["300"]
    assert smallest and all(
        len(pieces) > 1 and all(p.startswith("##") for p in pieces[1:]) for pieces in smallest.values()
    )


def test_bert_pretrain_lesson(bert_lesson):
    result, out, _ = bert_lesson("bert-pretrain")
    masking = result["masking"]
    assert masking["tokens"] > 50_000
    assert abs(masking["selected"] - 0.15) < 0.005
    for part, share in (("mask", 0.8), ("random", 0.1), ("kept", 0.1)):
        assert abs(masking[part] - share) < 0.01
    assert result["training_loss_last_50"] < result["training_loss_first_10"] - 0.6  # about 7.9 -> 6.9
    assert (out / "pretraining_curves.png").exists() and (out / "vocab.txt").exists()


def test_bert_finetune_lesson(bert_lesson):
    results, out, _ = bert_lesson("bert-finetune")
    result = results["results"]
    few, many = result["bag-of-words"]["300"], result["bag-of-words"]["3,000"]
    assert many["mean"] > few["mean"] + 0.05 and many["mean"] > 0.65  # about 60 % -> 70 %
    assert all(0.45 < stats["mean"] < 1 for method in result.values() for stats in method.values())
    assert (out / "sst2_accuracy.png").exists()


def test_masking_ratio_lesson(bert_lesson):
    result, out, _ = bert_lesson("masking-ratio")
    assert [row["ratio"] for row in result["rows"]] == [0.05, 0.40]
    for row in result["rows"]:
        assert abs(row["selected"] - row["ratio"]) < 0.005
    low, high = result["rows"]
    assert high["predicted_tokens"] > 7 * low["predicted_tokens"]  # 8 times as many tokens to learn from
    assert (out / "masking_ratio.png").exists()
