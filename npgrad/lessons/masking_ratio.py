"""BERT-Tiny pretrained with 5 / 15 / 40 % masking on the same budget, then fine-tuned on SST-2.

How much to mask. "Too little masking is expensive to train, too much leaves too
little context": the BERT-Tiny of bert-pretrain pretrained again with 5 %, 15 % and 40 % of the
tokens selected for the masked-LM (80 / 10 / 10 as always), the same 2,500 steps, batches and
learning rates, then fine-tuned on 1,000 labelled SST-2 sentences (bert-finetune's recipe) at
each seed; the same architecture from scratch is the floor.
"""

import os

from npgrad.analysis.plots import pyplot_or_none, save_figure
from npgrad.lessons import bert_finetune, bert_pretrain, main

# Three pretrainings on bert-pretrain's corpus and model at a shorter budget than bert-pretrain's
# own 60,000 steps (2,500 steps each: 22 min on the shared machine rather than three times about 40).
CONFIG = {"ratios": [0.05, 0.15, 0.40], "labels": 1000, "pretraining": {"steps": 2500, "eval_every": 500}}
QUICK_CONFIG = {"ratios": [0.05, 0.40], "labels": 300, "pretraining": {}}
TRAINING_ORDER = (0.05, 0.40, 0.15)  # bert-pretrain's 15 % is most likely in the checkpoint folder already


def config_for(quick):
    return QUICK_CONFIG if quick else CONFIG


def fine_tuned(model, tokenizer, data, method, config, pretrain_config, finetune_config, out_dir):
    scores = [
        bert_finetune.finetuned_accuracy(
            method, model, tokenizer, data, config["labels"], seed, finetune_config, pretrain_config, out_dir
        )
        for seed in finetune_config["seeds"]
    ]
    return bert_finetune.summary(scores)


def plot_ratios(rows, scratch, path):
    plt = pyplot_or_none()
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    ratios = [100 * row["ratio"] for row in rows]
    ax.errorbar(
        ratios,
        [100 * row["finetune"]["mean"] for row in rows],
        [100 * row["finetune"]["std"] for row in rows],
        marker="o",
        capsize=3,
        label="pretrained, fine-tuned",
    )
    ax.axhline(100 * scratch["mean"], color="gray", ls=":", label="from scratch")
    ax.set_xlabel("tokens selected for the masked-LM (%)")
    ax.set_ylabel("SST-2 test accuracy (%)")
    ax.legend(fontsize=8)
    ax.set_title("masking ratio, same pretraining budget", fontsize=10)
    return save_figure(fig, path, dpi=100)


def run(out_dir, quick=False):
    config = config_for(quick)
    base = {**bert_pretrain.config_for(quick), **config["pretraining"]}
    finetune_config = bert_finetune.config_for(quick)
    rows = {}
    for ratio in sorted(config["ratios"], key=lambda r: TRAINING_ORDER.index(r) if r in TRAINING_ORDER else -1):
        pretrain_config = {**base, "mlm_probability": ratio}
        model, tokenizer, history, _ = bert_pretrain.pretrained(pretrain_config, out_dir)
        data = bert_finetune.sst2_data(tokenizer, finetune_config, base["max_length"])
        _, mlm, nsp = history["eval"][-1]
        masking = bert_pretrain.masking_statistics(history)
        rows[ratio] = {
            "ratio": ratio,
            "held_out_mlm_accuracy": mlm,
            "held_out_nsp_accuracy": nsp,
            "selected": masking["selected"],
            "predicted_tokens": masking["selected"] * masking["tokens"],
            "finetune": fine_tuned(
                model, tokenizer, data, "pretrained", config, pretrain_config, finetune_config, out_dir
            ),
        }
        print(f"mask {ratio:.0%}: fine-tuned {bert_finetune.cell(rows[ratio]['finetune'])}", flush=True)
    scratch = fine_tuned(None, tokenizer, data, "scratch", config, base, finetune_config, out_dir)
    rows = [rows[ratio] for ratio in sorted(rows)]
    steps = history["eval"][-1][0]
    print(
        f"\nsame budget: {steps} steps of {base['batch_size']} examples; fine-tuned on {config['labels']:,} labels, {len(finetune_config['seeds'])} seeds"
    )
    print(
        "| masked | selected (measured) | tokens predicted in pretraining | held-out MLM accuracy | held-out NSP accuracy | SST-2 test accuracy |"
    )
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['ratio']:.0%} | {row['selected']:.2%} | {row['predicted_tokens']:,.0f} | {row['held_out_mlm_accuracy']:.1%} | "
            f"{row['held_out_nsp_accuracy']:.1%} | {bert_finetune.cell(row['finetune'])} |"
        )
    print(f"| from scratch | - | - | - | - | {bert_finetune.cell(scratch)} |")
    figure = plot_ratios(rows, scratch, os.path.join(out_dir, "masking_ratio.png"))
    return {"rows": rows, "scratch": scratch, "figures": [figure]}


READ_NEXT = """
the masking: npgrad/text/mlm.py MaskedLMCollator (mlm_probability, the 80 / 10 / 10 split)
the pretraining and fine-tuning it repeats: npgrad/lessons/bert_pretrain.py pretrained,
  npgrad/lessons/bert_finetune.py finetuned_accuracy
the model: npgrad/models/bert.py BertForPreTraining, BertForSequenceClassification
the page: docs/lessons/masking-ratio.md
"""

if __name__ == "__main__":
    main(run)
