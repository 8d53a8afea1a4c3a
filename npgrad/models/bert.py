"""BERT (Devlin et al. 2019): a post-norm Transformer encoder over token + segment + learned
position embeddings, pretrained by masked-LM and next-sentence prediction, then fine-tuned.

    bert.embeddings   word_embeddings, position_embeddings, token_type_embeddings, norm, dropout
    bert.encoder      nn.TransformerEncoder of post-norm GELU layers (layers.<i>.self_attn, linear1,
                      linear2, norm1, norm2: PyTorch's names)
    bert.pooler       Linear then tanh on the [CLS] position
    BertForPreTraining: mlm_head (transform, GELU, norm, decoder tied to word_embeddings with its
                      own bias) and nsp_head (2 classes)
    BertForSequenceClassification: dropout then classifier on the pooled output

    model = BertForPreTraining(bert_tiny(vocab_size=len(tokenizer)))
    mlm_logits, nsp_logits, loss = model(input_ids, token_type_ids, attention_mask, labels, next_sentence_label)

The configuration uses the field names of transformers' BertConfig; from_huggingface_bert
loads the weights of transformers' BertModel, BertForPreTraining and BertForSequenceClassification.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sized
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import nn
from ..functional.activation import gelu, tanh
from ..functional.loss import cross_entropy
from ..nn import init
from ..tensor import Tensor
from ..types import ArrayLike


@dataclass
class BertConfig:
    """BERT's sizes and regularisation, with transformers' BertConfig names and defaults
    (BERT-base: 12 layers, 768 features, 12 heads, 3072 in the feed-forward block)."""

    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    initializer_range: float = 0.02
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0
    num_labels: int = 2

    def __post_init__(self) -> None:
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"BertConfig: hidden_size must be a multiple of num_attention_heads, got "
                f"hidden_size={self.hidden_size} and num_attention_heads={self.num_attention_heads}"
            )


def _config(layers: int, width: int, heads: int, options: dict[str, Any]) -> BertConfig:
    return BertConfig(
        **{
            "num_hidden_layers": layers,
            "hidden_size": width,
            "num_attention_heads": heads,
            "intermediate_size": 4 * width,
            **options,
        }
    )


def bert_tiny(**options: Any) -> BertConfig:
    """BERT-Tiny (Turc et al. 2019): 2 layers, 128 features, 2 heads; options override BertConfig fields."""
    return _config(2, 128, 2, options)


def bert_mini(**options: Any) -> BertConfig:
    """BERT-Mini (Turc et al. 2019): 4 layers, 256 features, 4 heads."""
    return _config(4, 256, 4, options)


def bert_base(**options: Any) -> BertConfig:
    """BERT-base: 12 layers, 768 features, 12 heads; 109,482,240 parameters with the pooler at
    the 30,522-token vocabulary."""
    return _config(12, 768, 12, options)


def bert_large(**options: Any) -> BertConfig:
    """BERT-large: 24 layers, 1024 features, 16 heads."""
    return _config(24, 1024, 16, options)


class BertEmbeddings(nn.Module):
    """LayerNorm(word + position + segment embedding), then dropout."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, input_ids: Tensor, token_type_ids: Tensor) -> Tensor:
        positions = Tensor(np.arange(input_ids.shape[1]))
        x = (
            self.word_embeddings(input_ids)
            + self.position_embeddings(positions)
            + self.token_type_embeddings(token_type_ids)
        )
        return self.dropout(self.norm(x))


def _check_ids(ids: Tensor | ArrayLike, name: str, size: int, shape: tuple[int, ...] | None = None) -> Tensor:
    """ids as an int64 Tensor, or a ValueError naming the table size they overflow."""
    array = np.asarray(ids._data if isinstance(ids, Tensor) else ids)
    if array.ndim != 2 or array.dtype.kind not in "iu" or (shape is not None and array.shape != shape):
        raise ValueError(
            f"BERT: expected {name} as integers of shape {shape or '(N, T)'}, got {array.dtype} {array.shape}"
        )
    if array.size and (array.min() < 0 or array.max() >= size):
        raise ValueError(f"BERT: {name} must be in [0, {size}), got values in [{array.min()}, {array.max()}]")
    return Tensor(array.astype(np.int64, copy=False))


class BERT(nn.Module):
    """The encoder: forward(input_ids, token_type_ids=None, attention_mask=None) ->
    (hidden states (N, T, hidden_size), pooled output (N, hidden_size) or None without the
    pooler). token_type_ids: segment 0 or 1 (default all 0); attention_mask: 1 for a token,
    0 for padding that no position attends to (default all 1).

    Initialised as BERT: Linear, Embedding and attention weights from N(0, 0.02^2), biases 0,
    LayerNorm 1 and 0, the [PAD] embedding 0."""

    def __init__(self, config: BertConfig, add_pooling_layer: bool = True) -> None:
        super().__init__()
        self.config = config
        self.embeddings = BertEmbeddings(config)
        layer = nn.TransformerEncoderLayer(
            config.hidden_size,
            config.num_attention_heads,
            config.intermediate_size,
            config.hidden_dropout_prob,
            "gelu",
            config.layer_norm_eps,
            batch_first=True,
        )
        layer.self_attn.dropout = config.attention_probs_dropout_prob
        layer.dropout = nn.Dropout(0.0)  # BERT has no dropout between the two feed-forward Linears
        self.encoder = nn.TransformerEncoder(layer, config.num_hidden_layers, enable_nested_tensor=False)
        self.pooler = nn.Linear(config.hidden_size, config.hidden_size) if add_pooling_layer else None
        _init_bert_weights(self, config)

    def check_vocabulary(self, tokenizer: Sized) -> None:
        """A ValueError unless the tokenizer's vocabulary has the model's vocab_size."""
        if len(tokenizer) != self.config.vocab_size:
            raise ValueError(
                f"BERT: the tokenizer has {len(tokenizer)} tokens but the model's vocab_size is "
                f"{self.config.vocab_size}; use the vocab.txt the model was trained with"
            )

    def forward(
        self,
        input_ids: Tensor | ArrayLike,
        token_type_ids: Tensor | ArrayLike | None = None,
        attention_mask: Tensor | ArrayLike | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        config = self.config
        input_ids = _check_ids(input_ids, "input_ids", config.vocab_size)
        shape = tuple(input_ids.shape)
        if shape[1] > config.max_position_embeddings:
            raise ValueError(
                f"BERT: sequences of {shape[1]} tokens are longer than max_position_embeddings = "
                f"{config.max_position_embeddings}"
            )
        token_type_ids = np.zeros(shape, np.int64) if token_type_ids is None else token_type_ids
        token_type_ids = _check_ids(token_type_ids, "token_type_ids", config.type_vocab_size, shape)
        padding = None if attention_mask is None else _check_ids(attention_mask, "attention_mask", 2, shape)._data == 0
        hidden = self.encoder(
            self.embeddings(input_ids, token_type_ids),
            src_key_padding_mask=None if padding is None else Tensor(padding),
        )
        pooled = tanh(self.pooler(hidden[:, 0])) if self.pooler is not None else None
        return hidden, pooled


def _init_bert_weights(model: nn.Module, config: BertConfig) -> None:
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Embedding)):
            init.normal_(module.weight, 0.0, config.initializer_range)
        if isinstance(module, nn.Linear) and module.bias is not None:
            init.zeros_(module.bias)
        if isinstance(module, nn.MultiheadAttention):
            init.normal_(module.in_proj_weight, 0.0, config.initializer_range)
        if isinstance(module, nn.Embedding) and module.padding_idx is not None:
            module.weight._data[module.padding_idx] = 0


class BertMLMHead(nn.Module):
    """Hidden states to vocabulary logits: Linear, GELU, LayerNorm, then the decoder, whose
    weight is the token embedding (tied) and whose bias is its own."""

    def __init__(self, config: BertConfig, word_embeddings: nn.Embedding) -> None:
        super().__init__()
        self.transform = nn.Linear(config.hidden_size, config.hidden_size)
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.decoder.weight = word_embeddings.weight
        self.bias = nn.Parameter(np.zeros(config.vocab_size, np.float32))

    def forward(self, hidden: Tensor) -> Tensor:
        return self.decoder(self.norm(gelu(self.transform(hidden)))) + self.bias


def _labels(labels: Tensor | ArrayLike) -> Tensor:
    return Tensor(np.asarray(labels._data if isinstance(labels, Tensor) else labels, dtype=np.int64))


class BertForPreTraining(nn.Module):
    """BERT with the masked-LM and next-sentence heads: forward(input_ids, token_type_ids,
    attention_mask, labels=None, next_sentence_label=None) -> (MLM logits (N, T, vocab_size),
    NSP logits (N, 2), loss). loss, when both label sets are given, is the masked-LM
    cross-entropy (labels -100 skipped) plus the next-sentence one (0 = B follows A), as
    transformers sums them; otherwise None."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.config = config
        self.bert = BERT(config)
        self.mlm_head = BertMLMHead(config, self.bert.embeddings.word_embeddings)
        self.nsp_head = nn.Linear(config.hidden_size, 2)
        for head in (self.mlm_head.transform, self.nsp_head):  # the decoder is the embedding, initialised
            _init_bert_weights(head, config)

    def forward(
        self,
        input_ids: Tensor | ArrayLike,
        token_type_ids: Tensor | ArrayLike | None = None,
        attention_mask: Tensor | ArrayLike | None = None,
        labels: Tensor | ArrayLike | None = None,
        next_sentence_label: Tensor | ArrayLike | None = None,
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        hidden, pooled = self.bert(input_ids, token_type_ids, attention_mask)
        mlm_logits, nsp_logits = self.mlm_head(hidden), self.nsp_head(pooled)
        if labels is None or next_sentence_label is None:
            return mlm_logits, nsp_logits, None
        mlm_loss = cross_entropy(mlm_logits.reshape(-1, self.config.vocab_size), _labels(labels).reshape(-1))
        return mlm_logits, nsp_logits, mlm_loss + cross_entropy(nsp_logits, _labels(next_sentence_label))


class BertForSequenceClassification(nn.Module):
    """BERT, dropout and a Linear on the pooled output: forward(input_ids, token_type_ids,
    attention_mask, labels=None) -> (logits (N, num_labels), cross-entropy loss or None)."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.config = config
        self.bert = BERT(config)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        _init_bert_weights(self.classifier, config)

    def forward(
        self,
        input_ids: Tensor | ArrayLike,
        token_type_ids: Tensor | ArrayLike | None = None,
        attention_mask: Tensor | ArrayLike | None = None,
        labels: Tensor | ArrayLike | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        logits = self.classifier(self.dropout(self.bert(input_ids, token_type_ids, attention_mask)[1]))
        if labels is None:
            return logits, None
        return logits, cross_entropy(logits, _labels(labels))


# transformers' parameter names -> these (q, k and v are joined into in_proj separately)
_HUGGINGFACE_NAMES = [
    (r"LayerNorm\.gamma$", "LayerNorm.weight"),  # the names of checkpoints converted from TensorFlow
    (r"LayerNorm\.beta$", "LayerNorm.bias"),
    (r"embeddings\.LayerNorm\.", "embeddings.norm."),
    (r"encoder\.layer\.(\d+)\.attention\.output\.dense\.", r"encoder.layers.\1.self_attn.out_proj."),
    (r"encoder\.layer\.(\d+)\.attention\.output\.LayerNorm\.", r"encoder.layers.\1.norm1."),
    (r"encoder\.layer\.(\d+)\.intermediate\.dense\.", r"encoder.layers.\1.linear1."),
    (r"encoder\.layer\.(\d+)\.output\.dense\.", r"encoder.layers.\1.linear2."),
    (r"encoder\.layer\.(\d+)\.output\.LayerNorm\.", r"encoder.layers.\1.norm2."),
    (r"pooler\.dense\.", "pooler."),
    (r"^cls\.predictions\.transform\.dense\.", "mlm_head.transform."),
    (r"^cls\.predictions\.transform\.LayerNorm\.", "mlm_head.norm."),
    (r"^cls\.predictions\.bias$", "mlm_head.bias"),
    (r"^cls\.seq_relationship\.", "nsp_head."),
]
_QKV = re.compile(r"encoder\.layer\.(\d+)\.attention\.self\.(query|key|value)\.(weight|bias)$")
_DROPPED = re.compile(r"(embeddings\.position_ids|cls\.predictions\.decoder\.(weight|bias))$")  # tied or buffers


def huggingface_bert_state_dict(state_dict: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """A state_dict of transformers' BertModel, BertForPreTraining or
    BertForSequenceClassification (values: NumPy arrays or CPU torch tensors) renamed for BERT,
    BertForPreTraining or BertForSequenceClassification here: float32 NumPy arrays, each
    layer's query, key and value joined into self_attn.in_proj_weight / in_proj_bias. The
    decoder's weight (the tied token embedding) and its bias (cls.predictions.bias again) and
    the position_ids buffer are left out."""
    arrays: dict[str, np.ndarray] = {}
    qkv: dict[tuple[str, str, str], dict[str, np.ndarray]] = {}
    for name, value in state_dict.items():
        array = np.asarray(value.detach().cpu().numpy() if hasattr(value, "detach") else value, dtype=np.float32)
        if _DROPPED.search(name):
            continue
        match = _QKV.search(name)
        if match:
            qkv.setdefault((name[: match.start()], match.group(1), match.group(3)), {})[match.group(2)] = array
            continue
        for pattern, replacement in _HUGGINGFACE_NAMES:
            name = re.sub(pattern, replacement, name)
        arrays[name] = array
    for (prefix, layer, kind), parts in qkv.items():
        arrays[f"{prefix}encoder.layers.{layer}.self_attn.in_proj_{kind}"] = np.concatenate(
            [parts["query"], parts["key"], parts["value"]]
        )
    return arrays


def from_huggingface_bert(
    state_dict: Mapping[str, Any], num_attention_heads: int, **options: Any
) -> BERT | BertForPreTraining | BertForSequenceClassification:
    """A BERT, BertForPreTraining or BertForSequenceClassification (chosen by the names: cls.*
    or classifier.*) holding the weights of the transformers model whose state_dict is given.
    The sizes come from the arrays; num_attention_heads cannot, so pass it (12 for BERT-base);
    options set the other BertConfig fields (dropout, layer_norm_eps: BERT's 1e-12 by default)."""
    arrays = huggingface_bert_state_dict(state_dict)
    prefix = "bert." if any(name.startswith("bert.") for name in arrays) else ""
    vocab_size, hidden_size = arrays[f"{prefix}embeddings.word_embeddings.weight"].shape
    layers = {int(m.group(1)) for m in (re.match(rf"{prefix}encoder\.layers\.(\d+)\.", n) for n in arrays) if m}
    sizes = dict(
        vocab_size=vocab_size,
        hidden_size=hidden_size,
        num_hidden_layers=len(layers),
        num_attention_heads=num_attention_heads,
        intermediate_size=arrays[f"{prefix}encoder.layers.0.linear1.weight"].shape[0],
        max_position_embeddings=arrays[f"{prefix}embeddings.position_embeddings.weight"].shape[0],
        type_vocab_size=arrays[f"{prefix}embeddings.token_type_embeddings.weight"].shape[0],
    )
    if "classifier.weight" in arrays:
        sizes["num_labels"] = arrays["classifier.weight"].shape[0]
    config = BertConfig(**{**sizes, **options})
    model: BERT | BertForPreTraining | BertForSequenceClassification
    if "mlm_head.bias" in arrays:
        model = BertForPreTraining(config)
        arrays["mlm_head.decoder.weight"] = arrays["bert.embeddings.word_embeddings.weight"]
    elif "classifier.weight" in arrays:
        model = BertForSequenceClassification(config)
    else:
        model = BERT(config, add_pooling_layer=f"{prefix}pooler.weight" in arrays)
    model.load_state_dict(arrays)
    return model
