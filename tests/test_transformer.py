"""LayerNorm, MultiheadAttention and the Transformer layers against PyTorch: a PyTorch module's
state_dict (as NumPy) loads as is and gives the same outputs, attention weights, input and
parameter gradients, in train mode (dropout 0) and eval mode; positional encodings; errors."""

import numpy as np
import pytest

import npgrad
from npgrad import nn
import npgrad.nn.functional as F

torch = pytest.importorskip("torch")

ATOL, RTOL = 2e-5, 2e-4


def load_from_torch(ng_module, th_module):
    ng_module.load_state_dict({k: v.detach().numpy() for k, v in th_module.state_dict().items()})


def as_pair(array, grad=True):
    """The same values as an npgrad tensor and a torch tensor (floats require grad if `grad`)."""
    grad = grad and array.dtype.kind == "f"
    return (
        npgrad.tensor(array, requires_grad=grad),
        torch.tensor(array, requires_grad=grad) if grad else torch.from_numpy(array),
    )


def outputs(result):
    return [o for o in (result if isinstance(result, tuple) else (result,)) if o is not None]


def check_parity(ng_module, th_module, arrays, train=True, **kwargs):
    """Same outputs, then same input and parameter gradients for a random upstream gradient.
    `arrays` are the positional inputs; kwargs values that are arrays are passed to both."""
    load_from_torch(ng_module, th_module)
    ng_module.train(train)
    th_module.train(train)
    pairs = [as_pair(a) for a in arrays]
    ng_kw, th_kw = {}, {}
    for key, v in kwargs.items():
        ng_kw[key], th_kw[key] = as_pair(v, grad=False) if isinstance(v, np.ndarray) else (v, v)
    ng_out = outputs(ng_module(*[p[0] for p in pairs], **ng_kw))
    th_out = outputs(th_module(*[p[1] for p in pairs], **th_kw))
    assert len(ng_out) == len(th_out)
    rng = np.random.default_rng(1)
    ng_loss, th_loss = 0, 0
    for n, t in zip(ng_out, th_out):
        assert n.dtype == np.float32
        np.testing.assert_allclose(n.detach().numpy(), t.detach().numpy(), atol=ATOL, rtol=RTOL)
        upstream = rng.standard_normal(n.shape).astype(np.float32)
        ng_loss = ng_loss + (n * npgrad.tensor(upstream)).sum()
        th_loss = th_loss + (t * torch.from_numpy(upstream)).sum()
    ng_loss.backward()
    th_loss.backward()
    for i, (n, t) in enumerate(pairs):
        if t.requires_grad:
            np.testing.assert_allclose(np.asarray(n.grad), t.grad.numpy(), atol=ATOL, rtol=RTOL, err_msg=f"input {i}")
    th_params = dict(th_module.named_parameters())
    ng_params = dict(ng_module.named_parameters())
    assert sorted(ng_params) == sorted(th_params)
    for name, p in ng_params.items():
        np.testing.assert_allclose(np.asarray(p.grad), th_params[name].grad.numpy(), atol=ATOL, rtol=RTOL, err_msg=name)


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# ------------------------------------------------------------------------------ LayerNorm
@pytest.mark.parametrize(
    "shape,options",
    [((6,), {}), ((3, 6), {"eps": 1e-3}), ((6,), {"elementwise_affine": False}), ((6,), {"bias": False})],
)
def test_layer_norm_matches_torch(shape, options):
    th = torch.nn.LayerNorm(shape, **options)
    with torch.no_grad():
        for p in th.parameters():
            p.copy_(torch.randn(p.shape))
    check_parity(nn.LayerNorm(shape, **options), th, [randn(4, 3, 6)])
    assert repr(nn.LayerNorm(shape, **options)) == repr(th)


# ------------------------------------------------------------------------------ MultiheadAttention
E, H, L, S, N = 8, 2, 3, 5, 2


def bool_mask(*shape, seed=3):
    blocked = np.random.default_rng(seed).random(shape) < 0.4
    blocked[..., 0] = False  # every query may attend to its first key
    return blocked


MHA_CASES = {
    "self": dict(arrays="self"),
    "cross": dict(arrays="cross"),
    "batch_first": dict(arrays="cross", layer=dict(batch_first=True)),
    "no_bias": dict(arrays="self", layer=dict(bias=False)),
    "per_head_weights": dict(arrays="cross", call=dict(average_attn_weights=False)),
    "no_weights": dict(arrays="cross", call=dict(need_weights=False)),
    "bool_attn_mask": dict(arrays="cross", call=dict(attn_mask=bool_mask(L, S))),
    "float_attn_mask_per_head": dict(arrays="cross", call=dict(attn_mask=randn(N * H, L, S, seed=4))),
    "bool_key_padding_mask": dict(arrays="cross", call=dict(key_padding_mask=bool_mask(N, S))),
    "float_key_padding_mask": dict(arrays="cross", call=dict(key_padding_mask=randn(N, S, seed=5))),
    "both_masks": dict(
        arrays="cross", call=dict(attn_mask=bool_mask(N * H, L, S), key_padding_mask=bool_mask(N, S, seed=6))
    ),
    "causal": dict(arrays="self", call=dict(attn_mask=np.triu(np.ones((L, L), bool), 1), is_causal=True)),
    "unbatched": dict(arrays="unbatched", call=dict(attn_mask=bool_mask(H, L, S))),
}


def mha_arrays(kind, batch_first):
    if kind == "unbatched":
        return [randn(L, E), randn(S, E, seed=1), randn(S, E, seed=2)]
    shape = (lambda t: (N, t, E)) if batch_first else (lambda t: (t, N, E))
    if kind == "self":
        return [randn(*shape(L))]
    return [randn(*shape(L)), randn(*shape(S), seed=1), randn(*shape(S), seed=2)]


class SelfAttention:
    """Calls an attention layer with one tensor as query, key and value (the fused path)."""

    def __init__(self, layer):
        self.layer = layer

    def __getattr__(self, name):
        return getattr(self.layer, name)

    def __call__(self, x, **kwargs):
        return self.layer(x, x, x, **kwargs)


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("case", list(MHA_CASES))
def test_multihead_attention_matches_torch(case, train):
    spec = MHA_CASES[case]
    layer = spec.get("layer", {})
    torch.manual_seed(0)
    th = torch.nn.MultiheadAttention(E, H, **layer)
    ng = nn.MultiheadAttention(E, H, **layer)
    assert [(k, tuple(v.shape)) for k, v in ng.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in th.state_dict().items()
    ]
    arrays = mha_arrays(spec["arrays"], layer.get("batch_first", False))
    if spec["arrays"] == "self":
        ng, th = SelfAttention(ng), SelfAttention(th)
    check_parity(ng, th, arrays, train=train, **spec.get("call", {}))


def test_multihead_attention_dropout_is_applied_in_training_only():
    layer = nn.MultiheadAttention(E, H, dropout=0.5)
    x = npgrad.tensor(randn(L, N, E))
    npgrad.manual_seed(0)
    _, weights = layer(x, x, x, average_attn_weights=False)
    dropped = np.isclose(weights.detach().numpy(), 0).mean()
    assert 0.3 < dropped < 0.7
    layer.eval()
    _, weights = layer(x, x, x)
    np.testing.assert_allclose(weights.detach().numpy().sum(-1), 1, rtol=1e-5)


def test_multihead_attention_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match="embed_dim=10 and num_heads=3"):
        nn.MultiheadAttention(10, 3)
    layer = nn.MultiheadAttention(E, H)
    x = npgrad.tensor(randn(L, N, E))
    with pytest.raises(ValueError, match=r"MultiheadAttention\(embed_dim=8.*\(3, 2, 7\)"):
        layer(npgrad.tensor(randn(L, N, 7)), x, x)
    with pytest.raises(ValueError, match=r"attn_mask of shape \(3, 3\) or \(4, 3, 3\), got \(3, 4\)"):
        layer(x, x, x, attn_mask=npgrad.tensor(np.zeros((3, 4), bool)))
    with pytest.raises(TypeError, match="bool or floating attn_mask, got int64"):
        layer(x, x, x, attn_mask=npgrad.tensor(np.zeros((3, 3), np.int64)))
    with pytest.raises(ValueError, match=r"key_padding_mask of shape \(2, 3\), got \(3, 2\)"):
        layer(x, x, x, key_padding_mask=npgrad.tensor(np.zeros((3, 2), bool)))
    with pytest.raises(ValueError, match="is_causal"):
        layer(x, x, x, is_causal=True)


# ------------------------------------------------------------------------------ scaled_dot_product_attention
def test_sdpa_dropout_gradcheck_and_scaling():
    q, k, v = (npgrad.tensor(randn(2, 3, 4, seed=s), dtype=np.float64, requires_grad=True) for s in range(3))

    def attend(*inputs):
        npgrad.manual_seed(0)  # the same dropout mask on every call
        return F.scaled_dot_product_attention(*inputs, dropout_p=0.4)

    assert npgrad.gradcheck(attend, [q, k, v], eps=1e-6, atol=1e-5)
    plain = F.scaled_dot_product_attention(q, k, v).detach().numpy()
    assert not np.allclose(attend(q, k, v).detach().numpy(), plain)
    np.testing.assert_array_equal(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).detach().numpy(), 0)


@pytest.mark.parametrize("mask_needs_grad", [False, True])
def test_sdpa_backward_in_blocks_of_rows_matches_torch(monkeypatch, mask_needs_grad):
    """The softmax backward runs a few rows of the scores at a time (attention.BLOCK numbers);
    blocks of 2 rows of 5 keys, the last one a single row, give PyTorch's gradients."""
    from npgrad.functional import attention

    monkeypatch.setattr(attention, "BLOCK", 10)
    arrays = [randn(3, 1, 3, 4, seed=1), randn(3, 1, 5, 4, seed=2), randn(3, 1, 5, 6, seed=3), randn(3, 5, seed=4)]
    (q, tq), (k, tk), (v, tv) = (as_pair(a) for a in arrays[:3])
    mask, t_mask = as_pair(arrays[3], grad=mask_needs_grad)
    upstream = randn(3, 1, 3, 6, seed=5)
    F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=0.7).backward(npgrad.tensor(upstream))
    torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=t_mask, scale=0.7).backward(
        torch.from_numpy(upstream)
    )
    for ours, theirs in [(q, tq), (k, tk), (v, tv)] + ([(mask, t_mask)] if mask_needs_grad else []):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=ATOL, rtol=RTOL)


def test_sdpa_errors():
    q = npgrad.tensor(randn(2, 3, 4))
    with pytest.raises(ValueError, match=r"does not broadcast to the attention scores' shape \(2, 3, 3\)"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=npgrad.tensor(np.ones((4, 3), bool)))
    with pytest.raises(ValueError, match=r"\(2, 3, 4\), \(2, 3, 5\)"):
        F.scaled_dot_product_attention(q, npgrad.tensor(randn(2, 3, 5)), q)
    with pytest.raises(TypeError, match="float one of the query's dtype float32, got float64"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=npgrad.tensor(np.zeros((3, 3))))
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=npgrad.tensor(np.ones((3, 3), bool)), is_causal=True)


# ------------------------------------------------------------------------------ Transformer layers
LAYER_OPTIONS = [
    dict(),
    dict(norm_first=True),
    dict(activation="gelu", batch_first=True),
    dict(norm_first=True, activation="gelu", bias=False),
]


def layer_ids(options):
    return "-".join(f"{k}={v}" for k, v in options.items()) or "default"


def seq(t, batch_first, seed):
    return randn(N, t, E, seed=seed) if batch_first else randn(t, N, E, seed=seed)


def layer_pair(name, options):
    """The same layer in torch and npgrad (small sizes, no dropout)."""
    torch.manual_seed(0)
    return tuple(getattr(lib, name)(E, H, dim_feedforward=16, dropout=0.0, **options) for lib in (nn, torch.nn))


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("options", LAYER_OPTIONS, ids=layer_ids)
def test_encoder_layer_matches_torch(options, train):
    ng, th = layer_pair("TransformerEncoderLayer", options)
    check_parity(
        ng,
        th,
        [seq(S, options.get("batch_first", False), 0)],
        train=train,
        src_mask=bool_mask(S, S),
        src_key_padding_mask=bool_mask(N, S, seed=7),
    )


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("options", LAYER_OPTIONS, ids=layer_ids)
def test_decoder_layer_matches_torch(options, train):
    ng, th = layer_pair("TransformerDecoderLayer", options)
    first = options.get("batch_first", False)
    causal = np.triu(np.ones((L, L), bool), 1)
    check_parity(
        ng,
        th,
        [seq(L, first, 0), seq(S, first, 1)],
        train=train,
        tgt_mask=causal,
        tgt_is_causal=True,
        memory_mask=bool_mask(L, S, seed=8),
        tgt_key_padding_mask=bool_mask(N, L, seed=9),
        memory_key_padding_mask=bool_mask(N, S, seed=10),
    )


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
def test_transformer_matches_torch(train):
    torch.manual_seed(0)
    options = dict(
        d_model=E,
        nhead=H,
        num_encoder_layers=2,
        num_decoder_layers=2,
        dim_feedforward=16,
        dropout=0.0,
        activation="gelu",
        batch_first=True,
    )
    th, ng = torch.nn.Transformer(**options), nn.Transformer(**options)
    assert list(ng.state_dict()) == list(th.state_dict())
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(L).numpy()
    np.testing.assert_array_equal(tgt_mask, torch.nn.Transformer.generate_square_subsequent_mask(L).numpy())
    th.encoder.enable_nested_tensor = False  # keep the padded positions' values in evaluation too
    check_parity(
        ng,
        th,
        [randn(N, S, E), randn(N, L, E, seed=1)],
        train=train,
        tgt_mask=tgt_mask,
        src_key_padding_mask=bool_mask(N, S, seed=11),
        memory_key_padding_mask=bool_mask(N, S, seed=11),
    )


def test_stacks_copy_the_layer_and_apply_the_final_norm():
    layer = nn.TransformerEncoderLayer(E, H, dim_feedforward=16)
    encoder = nn.TransformerEncoder(layer, 3, norm=nn.LayerNorm(E))
    assert [k for k in encoder.state_dict() if k.endswith("linear1.weight")] == [
        f"layers.{i}.linear1.weight" for i in range(3)
    ]
    np.testing.assert_array_equal(
        encoder.layers[0].linear1.weight.detach().numpy(), encoder.layers[2].linear1.weight.detach().numpy()
    )
    assert encoder.layers[0].linear1.weight is not encoder.layers[1].linear1.weight
    out = encoder(npgrad.tensor(randn(S, N, E))).detach().numpy()
    np.testing.assert_allclose(out.mean(-1), 0, atol=1e-5)


def test_transformer_rejects_mismatched_inputs():
    model = nn.Transformer(d_model=E, nhead=H, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16)
    with pytest.raises(ValueError, match=r"Transformer: .*\(5, 2, 8\) and \(3, 4, 8\)"):
        model(npgrad.tensor(randn(S, N, E)), npgrad.tensor(randn(L, 4, E)))


# ------------------------------------------------------------------------------ positional encodings
def test_sinusoidal_encoding_is_the_papers_formula():
    encoding = nn.SinusoidalPositionalEncoding(6, max_len=10)
    pe = encoding.pe.numpy()
    pos, i = 7, 2  # columns 4 and 5: frequency 1 / 10000^(4/6)
    assert pe[pos, 4] == pytest.approx(np.sin(pos / 10000 ** (4 / 6)), rel=1e-6)
    assert pe[pos, 5] == pytest.approx(np.cos(pos / 10000 ** (2 * i / 6)), rel=1e-6)
    assert encoding.state_dict() == {}
    x = np.zeros((3, 2, 6), np.float32)
    np.testing.assert_allclose(encoding(npgrad.tensor(x), offset=4).numpy()[:, 1], pe[4:7])


def test_learned_positional_embedding_adds_trained_rows():
    embedding = nn.LearnedPositionalEmbedding(8, 4, batch_first=True)
    x = npgrad.tensor(np.zeros((2, 3, 4), np.float32), requires_grad=True)
    y = embedding(x, offset=2)
    np.testing.assert_array_equal(y.detach().numpy()[1], embedding.weight.detach().numpy()[2:5])
    y.sum().backward()
    np.testing.assert_array_equal(np.asarray(embedding.weight.grad)[[0, 1, 5, 6, 7]], 0)
    np.testing.assert_array_equal(np.asarray(embedding.weight.grad)[2:5], 2)
    with pytest.raises(ValueError, match=r"offset \+ L <= max_len = 8, got shape \(2, 7, 4\) at offset 2"):
        embedding(npgrad.tensor(np.zeros((2, 7, 4), np.float32)), offset=2)


# ------------------------------------------------------------------------------ ViT
class TorchViT(torch.nn.Module):
    """npgrad.models.ViT written with PyTorch's layers and the same parameter names."""

    def __init__(self, dim=16, depth=2, heads=2, mlp_dim=32, patch_size=7, num_classes=10):
        super().__init__()
        self.patch_embedding = torch.nn.Conv2d(1, dim, patch_size, stride=patch_size)
        self.class_token = torch.nn.Parameter(torch.randn(1, 1, dim))
        self.pos_embedding = torch.nn.Parameter(torch.randn(1, (28 // patch_size) ** 2 + 1, dim))
        layer = torch.nn.TransformerEncoderLayer(
            dim, heads, mlp_dim, 0.0, activation="gelu", batch_first=True, norm_first=True
        )
        self.encoder = torch.nn.TransformerEncoder(
            layer, depth, norm=torch.nn.LayerNorm(dim), enable_nested_tensor=False
        )
        self.head = torch.nn.Linear(dim, num_classes)

    def forward(self, x):
        patches = self.patch_embedding(x).flatten(2).transpose(1, 2)
        tokens = torch.cat([self.class_token.expand(x.shape[0], -1, -1), patches], dim=1)
        return self.head(self.encoder(tokens + self.pos_embedding)[:, 0])


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
def test_vit_matches_the_same_network_in_torch(train):
    from npgrad.models import vit

    torch.manual_seed(0)
    check_parity(vit(dim=16, depth=2, heads=2, mlp_dim=32), TorchViT(), [randn(3, 1, 28, 28)], train=train)


def test_vit_rejects_images_of_another_size():
    from npgrad.models import vit

    with pytest.raises(ValueError, match=r"ViT: expected images \(N, 1, 28, 28\), got shape \(2, 1, 32, 32\)"):
        vit(depth=1)(npgrad.tensor(randn(2, 1, 32, 32)))
    with pytest.raises(ValueError, match="multiple of patch_size"):
        vit(in_shape=(1, 30, 30))


# ------------------------------------------------------------------------------ TransformerSeq2Seq
def small_translator():
    from npgrad.models import TransformerSeq2Seq

    npgrad.manual_seed(0)
    return TransformerSeq2Seq(
        11, 13, d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=2, dim_feedforward=32, dropout=0.0
    )


SRC, SRC_LENGTHS = np.array([[3, 4, 5, 6], [7, 8, 0, 0]]), np.array([4, 2])
TGT_IN = np.array([[1, 5, 6, 9], [1, 7, 4, 3]])


def test_translator_ignores_source_padding_and_future_targets():
    model = small_translator()
    batch = model(SRC, SRC_LENGTHS, TGT_IN).detach().numpy()
    alone = model(SRC[1:, :2], SRC_LENGTHS[1:], TGT_IN[1:]).detach().numpy()
    np.testing.assert_allclose(batch[1], alone[0], atol=1e-5)
    changed = TGT_IN.copy()
    changed[:, 2] = 10
    later = model(SRC, SRC_LENGTHS, changed).detach().numpy()
    np.testing.assert_allclose(later[:, :2], batch[:, :2], atol=1e-6)
    assert not np.allclose(later[:, 2:], batch[:, 2:])


def test_translator_decodes_consistently_with_its_teacher_forced_logits():
    model = small_translator()
    greedy = model.translate(SRC, SRC_LENGTHS, max_len=5)
    beam = model.translate(SRC, SRC_LENGTHS, max_len=5, beam_size=1)
    for g, b in zip(greedy, beam):
        np.testing.assert_array_equal(g.tokens, b.tokens)
    for i, translation in enumerate(greedy):
        fed = np.concatenate([[1], translation.tokens[:-1]])[None]
        logits = model(SRC[i : i + 1, : SRC_LENGTHS[i]], SRC_LENGTHS[i : i + 1], fed).detach().numpy()[0]
        np.testing.assert_array_equal(logits.argmax(-1), translation.tokens)
        assert translation.attention.shape == (len(translation.tokens), SRC_LENGTHS[i])
        np.testing.assert_allclose(translation.attention.sum(-1), 1, rtol=1e-5)


def test_translator_learns_to_reverse():
    model = small_translator()
    optimizer = npgrad.optim.Adam(model.parameters(), lr=1e-2)
    rng = np.random.default_rng(0)
    losses = []
    for _ in range(120):
        src = rng.integers(3, 11, (32, 4))
        tgt = np.concatenate([np.ones((32, 1), np.int64), src[:, ::-1], np.full((32, 1), 2)], axis=1)
        logits = model(src, np.full(32, 4), tgt[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, 13), npgrad.tensor(tgt[:, 1:].reshape(-1)))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert np.mean(losses[:5]) > 2.0 and np.mean(losses[-5:]) < 0.3 * np.mean(losses[:5])  # 2.40 -> 0.42
