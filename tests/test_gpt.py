"""GPT: Hugging Face transformers' GPT2LMHeadModel as the reference (same logits, loss and
gradients from its weights), key/value-cached generation equal to uncached generation, GPT-2
small's parameter count, errors; weight-decay groups; the gpt-shakespeare lesson's schedule and a
short run."""

import os

import numpy as np
import pytest

import npgrad
from npgrad.models.gpt import GPT, GPTConfig, from_huggingface_gpt2, gpt2_small

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

CONV1D = ("c_attn.weight", "c_proj.weight", "c_fc.weight")


def huggingface_gpt2(n_layer=2, n_head=2, n_embd=16, n_positions=12, vocab_size=23):
    torch.manual_seed(0)
    config = transformers.GPT2Config(
        n_layer=n_layer,
        n_head=n_head,
        n_embd=n_embd,
        n_positions=n_positions,
        vocab_size=vocab_size,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
    )
    model = transformers.GPT2LMHeadModel(config).eval()
    with torch.no_grad():  # random LayerNorm parameters too, so that their mapping is tested
        for name, p in model.named_parameters():
            if ".ln_" in name:
                p.copy_(torch.randn(p.shape) * 0.5 + (1.0 if name.endswith("weight") else 0.0))
    return model


def ids(batch, length, vocab=23, seed=0):
    return np.random.default_rng(seed).integers(0, vocab, (batch, length))


def test_loads_huggingface_gpt2_and_matches_its_logits_loss_and_gradients():
    reference = huggingface_gpt2()
    model = from_huggingface_gpt2(reference.state_dict(), n_head=2)
    assert (model.config.n_layer, model.config.n_embd, model.config.block_size) == (2, 16, 12)
    assert model.num_parameters() == sum(p.numel() for p in reference.parameters())
    x, y = ids(3, 12), ids(3, 12, seed=1)
    expected = reference(torch.from_numpy(x), labels=torch.from_numpy(x))
    logits, _ = model(npgrad.tensor(x))
    np.testing.assert_allclose(logits.detach().numpy(), expected.logits.detach().numpy(), atol=2e-5, rtol=1e-4)

    # gradients of the mean next-token cross-entropy, the same on both sides
    th_logits = reference(torch.from_numpy(x)).logits
    torch.nn.functional.cross_entropy(th_logits.reshape(-1, 23), torch.from_numpy(y).reshape(-1)).backward()
    _, loss = model(npgrad.tensor(x), npgrad.tensor(y))
    loss.backward()
    grads = dict(model.named_parameters())
    for name, p in reference.named_parameters():
        expected_grad = p.grad.numpy().T if name.endswith(CONV1D) else p.grad.numpy()
        np.testing.assert_allclose(np.asarray(grads[name].grad), expected_grad, atol=2e-5, rtol=2e-4, err_msg=name)


def test_targets_of_minus_one_are_ignored():
    model = GPT(GPTConfig(n_layer=1, n_head=2, n_embd=8, block_size=6, vocab_size=11))
    x = npgrad.tensor(ids(2, 6, vocab=11))
    y = ids(2, 6, vocab=11, seed=1)
    logits, loss = model(x, npgrad.tensor(y))
    y[:, :3] = -1
    _, partial = model(x, npgrad.tensor(y))
    log_probs = npgrad.nn.functional.log_softmax(logits, dim=-1).detach().numpy()
    expected = -np.mean([log_probs[b, t, y[b, t]] for b in range(2) for t in range(3, 6)])
    assert partial.item() == pytest.approx(expected, rel=1e-5)
    assert partial.item() != pytest.approx(loss.item(), rel=1e-3)


@pytest.mark.parametrize("temperature,top_k", [(0.0, None), (1.0, None), (0.8, 5)])
def test_cached_generation_equals_uncached(temperature, top_k):
    npgrad.manual_seed(0)
    model = GPT(GPTConfig(n_layer=2, n_head=2, n_embd=16, block_size=8, vocab_size=23, dropout=0.1))
    start = npgrad.tensor(ids(2, 3))
    # 14 new tokens: the text outgrows block_size (8), so the sliding window is exercised too
    runs = [
        model.generate(start, 14, temperature, top_k, generator=7, use_cache=cached).numpy() for cached in (True, False)
    ]
    assert runs[0].shape == (2, 17)
    np.testing.assert_array_equal(runs[0], runs[1])
    np.testing.assert_array_equal(runs[0][:, :3], start.numpy())
    assert model.training  # generate ran in eval mode and restored the mode


def test_cached_logits_equal_full_forward():
    npgrad.manual_seed(1)
    model = GPT(GPTConfig(n_layer=2, n_head=2, n_embd=16, block_size=8, vocab_size=23))
    x = ids(2, 7)
    full, _ = model(npgrad.tensor(x))
    caches = [{} for _ in range(2)]
    with npgrad.no_grad():
        first, _ = model(npgrad.tensor(x[:, :4]), caches=caches)
        rest, _ = model(npgrad.tensor(x[:, 4:]), caches=caches)
    cached = np.concatenate([first.numpy(), rest.numpy()], axis=1)
    np.testing.assert_allclose(cached, full.detach().numpy(), atol=1e-5, rtol=1e-5)


def test_gpt2_small_has_gpt2s_parameter_count(monkeypatch):
    for name in ("normal_", "uniform_", "kaiming_uniform_", "zeros_"):  # shapes only: no 124M random draws
        monkeypatch.setattr(npgrad.nn.init, name, lambda tensor, *args, **kwargs: tensor)
    model = gpt2_small()
    assert model.num_parameters() == 124_439_808
    assert model.num_parameters(non_embedding=True) == 124_439_808 - 1024 * 768
    assert model.lm_head.weight is model.transformer.wte.weight


def test_errors_name_the_model_and_shapes():
    with pytest.raises(ValueError, match="n_embd=10 and n_head=3"):
        GPTConfig(n_embd=10, n_head=3)
    model = GPT(GPTConfig(n_layer=1, n_head=2, n_embd=8, block_size=6, vocab_size=11))
    with pytest.raises(ValueError, match=r"T <= block_size = 6, got shape \(2, 7\)"):
        model(npgrad.tensor(ids(2, 7, vocab=11)))


def test_learning_rate_schedule_is_nanogpts():
    from npgrad.lessons.gpt_shakespeare import CONFIG, learning_rate

    assert learning_rate(0, CONFIG) == pytest.approx(1e-3 / 101)
    assert learning_rate(100, CONFIG) == pytest.approx(1e-3)
    assert learning_rate(1050, CONFIG) == pytest.approx(1e-4 + 0.5 * (1e-3 - 1e-4))
    assert learning_rate(2000, CONFIG) == pytest.approx(1e-4)
    assert learning_rate(2500, CONFIG) == 1e-4


def test_full_split_loss_weighs_every_window_once():
    from npgrad.lessons.gpt_shakespeare import full_split_loss

    ids = np.arange(1000) % 37
    # a loss that is the mean target id: over the split it is the mean of every target read once
    loss = full_split_loss(lambda x, y: float(y.mean()), ids, {"block_size": 16}, windows_per_batch=5)
    windows = (len(ids) - 1) // 16
    assert loss == pytest.approx(ids[1 : 1 + 16 * windows].mean(), rel=1e-12)


def test_weight_decay_groups_decay_the_matrices_only():
    model = GPT(GPTConfig(n_layer=1, n_head=2, n_embd=8, block_size=6, vocab_size=11, bias=True))
    decayed, kept = npgrad.optim.weight_decay_groups(model.named_parameters(), 0.1)
    names = {id(p): name for name, p in model.named_parameters()}
    assert (decayed["weight_decay"], kept["weight_decay"]) == (0.1, 0.0)
    assert sorted(names[id(p)] for p in decayed["params"]) == [
        "transformer.h.0.attn.c_attn.weight",
        "transformer.h.0.attn.c_proj.weight",
        "transformer.h.0.mlp.c_fc.weight",
        "transformer.h.0.mlp.c_proj.weight",
        "transformer.wpe.weight",
        "transformer.wte.weight",
    ]
    assert len(kept["params"]) == len(names) - 6 and all(p.ndim == 1 for p in kept["params"])  # biases, LayerNorms


def test_gpt_shakespeare_lesson_learns(quick_lesson):
    if not os.path.exists(os.path.join(os.environ.get("NPGRAD_DATA", ""), "tinyshakespeare", "input.txt")):
        pytest.skip("Tiny Shakespeare not found under $NPGRAD_DATA")
    result, out, _ = quick_lesson("gpt-shakespeare")
    (_, first_train, first_val), (last_iteration, last_train, last_val) = (
        result["eval_curve"][0],
        result["eval_curve"][-1],
    )
    assert first_val > 4.0 and last_iteration == 60
    assert last_train < first_train - 0.6 and last_val < first_val - 0.6
    assert len(result["train_losses"]) == 60 and len(result["sample"]) == 61
    assert (out / "sample.txt").exists()
