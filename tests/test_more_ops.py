"""Small PyTorch API pieces and the behaviour of the newer ops that the op registry does not
cover: errors, index dtypes, in-place twins, print options, inference_mode, DataLoader options."""

import numpy as np
import pytest
import torch

import npgrad
from npgrad.data import DataLoader, TensorDataset


def test_is_tensor():
    assert npgrad.is_tensor(npgrad.ones(2)) and npgrad.is_tensor(npgrad.nn.Parameter(npgrad.ones(2)))
    assert not npgrad.is_tensor(np.ones(2)) and not npgrad.is_tensor(1.0)


def test_inference_mode_as_context_and_decorators():
    x = npgrad.ones(3, requires_grad=True)
    with npgrad.inference_mode():
        assert not npgrad.is_grad_enabled() and not (x * 2).requires_grad
    assert npgrad.is_grad_enabled()

    @npgrad.inference_mode()
    def called():
        return x * 2

    @npgrad.inference_mode
    def bare():
        return x * 2

    assert not called().requires_grad and not bare().requires_grad and npgrad.is_grad_enabled()
    with npgrad.no_grad(), npgrad.inference_mode(False):
        assert not npgrad.is_grad_enabled()  # False leaves the mode as it was
    with npgrad.inference_mode(False):
        assert (x * 2).requires_grad


def test_set_printoptions_changes_repr_like_torch():
    values = np.array([1.23456789, -0.5, 1e-3], np.float32)
    try:
        for options in [dict(precision=2), dict(precision=6), dict(profile="short")]:
            npgrad.set_printoptions(**options)
            torch.set_printoptions(**options)
            assert repr(npgrad.tensor(values)) == repr(torch.tensor(values))
        npgrad.set_printoptions(sci_mode=True, precision=3)
        torch.set_printoptions(sci_mode=True, precision=3)
        assert repr(npgrad.tensor(values)).replace(" ", "") == repr(torch.tensor(values)).replace(" ", "")
        npgrad.set_printoptions(threshold=5, edgeitems=2)
        assert "..." in repr(npgrad.arange(10))
        with pytest.raises(ValueError, match="profile"):
            npgrad.set_printoptions(profile="long")
    finally:
        npgrad.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")
    assert repr(npgrad.tensor([1.23456789])) == "tensor([1.2346])"


def test_dataloader_accepts_worker_options_and_loads_in_process():
    data = TensorDataset(npgrad.arange(10).float())
    loader = DataLoader(
        data,
        batch_size=4,
        num_workers=2,
        pin_memory=True,
        persistent_workers=True,
        prefetch_factor=2,
        timeout=0,
        worker_init_fn=None,
    )
    assert [b[0].shape[0] for b in loader] == [4, 4, 2]
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(data, num_workers=-1)


def test_randint_like_shape_dtype_and_range():
    npgrad.manual_seed(0)
    x = npgrad.zeros(3, 4)
    r = npgrad.randint_like(x, 5)
    assert r.shape == (3, 4) and r.dtype == np.float32 and r.min().item() >= 0 and r.max().item() < 5
    r = npgrad.randint_like(x, 3, 6, dtype=npgrad.int64)
    assert r.dtype == np.int64 and r.min().item() >= 3 and r.max().item() < 6


def test_masked_fill_and_index_fill_in_place_match_torch():
    raw = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    mask = raw > 0
    grads = []
    for lib in (npgrad, torch):
        w = lib.tensor(raw, requires_grad=True)
        y = w * 2
        y.masked_fill_(lib.tensor(mask), -1.0).index_fill_(1, lib.tensor([0, 2]), 3.0)
        (y * lib.arange(12).reshape(3, 4)).sum().backward()
        grads.append((y.detach().numpy(), np.asarray(w.grad)))
    np.testing.assert_allclose(grads[0][0], grads[1][0])
    np.testing.assert_allclose(grads[0][1], grads[1][1])
    x = npgrad.zeros(2, 3)
    assert x.index_fill_(-1, npgrad.tensor([1]), 7.0)._data[:, 1].tolist() == [7.0, 7.0]
    with pytest.raises(IndexError, match="index_fill_"):
        x.index_fill_(2, npgrad.tensor([0]), 1.0)


def _both(raw, **kw):
    return npgrad.tensor(raw, **kw), torch.tensor(raw, **kw)


def test_sort_argsort_topk_indices_match_torch_with_ties_and_nan():
    raw = np.array([[3.0, 1.0, 2.0, 1.0, np.nan, 3.0], [0.0, -1.0, 0.0, 5.0, 5.0, 2.0]], np.float32)
    n, t = _both(raw)
    for descending in (False, True):
        ours, theirs = n.sort(1, descending=descending), t.sort(dim=1, descending=descending, stable=True)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        assert ours.indices.dtype == np.int64 and ours.indices.tolist() == theirs.indices.tolist()
        expected = torch.argsort(t, dim=0, descending=descending, stable=True)
        assert npgrad.argsort(n, 0, descending).tolist() == expected.tolist()
    finite_n, finite_t = _both(np.nan_to_num(raw))
    for largest in (True, False):
        ours, theirs = finite_n.topk(3, largest=largest), finite_t.topk(3, largest=largest)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        assert ours.indices.dtype == np.int64


def test_sort_topk_errors():
    x = npgrad.ones(2, 3)
    with pytest.raises(ValueError, match="topk: k must be an int in \\[0, 3\\]"):
        x.topk(4)
    with pytest.raises(IndexError, match="dim 2 is out of range"):
        x.sort(2)
    with pytest.raises(ValueError, match="sort: expected a tensor with at least one dimension"):
        npgrad.tensor(1.0).sort()


def test_cumsum_dtypes_like_torch():
    for raw in (np.array([1, 2, 3], np.int32), np.array([True, False, True])):
        n, t = _both(raw)
        assert n.cumsum(0).dtype == np.int64 and n.cumsum(0).tolist() == t.cumsum(0).tolist()
    assert npgrad.cumsum(npgrad.ones(3), 0, dtype=npgrad.float64).dtype == np.float64


def test_index_select_repeat_errors():
    x = npgrad.ones(2, 3)
    with pytest.raises(TypeError, match="index_select: index must be an integer"):
        x.index_select(0, npgrad.tensor([0.0]))
    with pytest.raises(ValueError, match="index_select: index must be 1-D"):
        x.index_select(0, npgrad.tensor([[0]]))
    with pytest.raises(IndexError, match="index_select: index out of range"):
        x.index_select(1, npgrad.tensor([3]))
    with pytest.raises(ValueError, match="repeat: got 1 repeats for a tensor with 2 dims"):
        x.repeat(2)
    assert x.repeat(2, 1, 2).shape == tuple(torch.ones(2, 3).repeat(2, 1, 2).shape)


def test_scatter_src_larger_than_index_and_errors():
    """Only src's leading index.shape block is written; the rest of src gets a zero gradient."""
    index = np.array([[1, 0], [0, 2]])
    raw_src = np.arange(12, dtype=np.float32).reshape(3, 4)
    src = npgrad.tensor(raw_src, requires_grad=True)
    out = npgrad.zeros(3, 3).scatter(1, npgrad.tensor(index), src)
    expected = torch.zeros(3, 3).scatter(1, torch.tensor(index), torch.tensor(raw_src))
    np.testing.assert_array_equal(out.detach().numpy(), expected.numpy())
    out.sum().backward()
    grad = np.zeros((3, 4), np.float32)
    grad[:2, :2] = 1
    np.testing.assert_array_equal(np.asarray(src.grad), grad)
    x, i = npgrad.zeros(3, 3), npgrad.tensor(index)
    with pytest.raises(TypeError, match="scatter: src has dtype float64, input has float32"):
        x.scatter(1, i, npgrad.zeros(2, 2, dtype=npgrad.float64))
    with pytest.raises(IndexError, match="scatter_add: index out of range"):
        x.scatter_add(1, i + 2, npgrad.zeros(2, 2))
    with pytest.raises(ValueError, match="must have the same number of dims"):
        x.scatter(1, npgrad.tensor([1]), npgrad.zeros(2, 2))
    with pytest.raises(ValueError, match="reduce='multiply' is not supported"):
        x.scatter(1, i, 2.0, reduce="multiply")


def test_scatter_in_place_twins_match_torch():
    labels = np.array([2, 0, 1, 2])
    one_hot = npgrad.zeros(4, 3).scatter_(1, npgrad.tensor(labels).unsqueeze(1), 1.0)
    np.testing.assert_array_equal(one_hot.numpy(), np.eye(3, dtype=np.float32)[labels])
    raw = np.random.default_rng(0).standard_normal((2, 5)).astype(np.float32)
    grads = []
    for lib in (npgrad, torch):
        src = lib.tensor(raw, requires_grad=True)
        y = lib.zeros(3, 5)
        y.scatter_add_(0, lib.tensor([[0, 1, 2, 0, 1], [2, 2, 0, 0, 1]]), src * 2)
        (y * lib.arange(15).reshape(3, 5)).sum().backward()
        grads.append((y.detach().numpy(), np.asarray(src.grad)))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-6)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-6)


def test_bmm_and_einsum_errors():
    with pytest.raises(ValueError, match="bmm: expected two 3-D tensors"):
        npgrad.bmm(npgrad.ones(2, 3), npgrad.ones(3, 2))
    with pytest.raises(ValueError, match="bmm: shapes"):
        npgrad.bmm(npgrad.ones(2, 2, 3), npgrad.ones(3, 3, 2))
    a = npgrad.ones(2, 3)
    for equation, operands, message in [
        ("ii->i", [npgrad.ones(3, 3)], "repeated within one operand"),
        ("i.j->ij", [a], "letters a-z, A-Z and '...'"),
        ("ij,jk->ik", [a], "2 operand"),
        ("ijk->i", [a], "name 3 dims"),
        ("ij,ij->i", [a, npgrad.ones(2, 4)], "index 'j' has size 3"),
        ("ij->z", [a], "appears in no input"),
    ]:
        with pytest.raises(ValueError, match=message):
            npgrad.einsum(equation, *operands)
    assert npgrad.einsum("ij,jk", [a, npgrad.ones(3, 4)]).shape == (2, 4)  # operands as one list


def _compare_layer(ours, theirs, raw, target_fn=lambda y: (y * y).sum()):
    """Load PyTorch's state_dict into ours; outputs, input gradients and parameter gradients agree."""
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x_n, x_t = npgrad.tensor(raw, requires_grad=True), torch.tensor(raw, requires_grad=True)
    y_n, y_t = ours(x_n), theirs(x_t)
    np.testing.assert_allclose(y_n.detach().numpy(), y_t.detach().numpy(), rtol=1e-5, atol=1e-5)
    target_fn(y_n).backward()
    target_fn(y_t).backward()
    np.testing.assert_allclose(np.asarray(x_n.grad), x_t.grad.numpy(), rtol=1e-4, atol=1e-5)
    for (name, p_n), (_, p_t) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(np.asarray(p_n.grad), p_t.grad.numpy(), rtol=1e-4, atol=1e-4, err_msg=name)


def test_group_norm_and_prelu_layers_match_torch():
    rng = np.random.default_rng(0)
    raw = rng.standard_normal((2, 6, 3, 3)).astype(np.float32)
    torch.manual_seed(0)
    theirs = torch.nn.GroupNorm(3, 6)
    with torch.no_grad():
        theirs.weight.normal_(), theirs.bias.normal_()
    _compare_layer(npgrad.nn.GroupNorm(3, 6), theirs, raw)
    assert repr(npgrad.nn.GroupNorm(3, 6)) == repr(torch.nn.GroupNorm(3, 6))
    _compare_layer(npgrad.nn.GroupNorm(2, 6, bias=False), torch.nn.GroupNorm(2, 6, bias=False), raw)
    assert repr(npgrad.nn.PReLU(3)) == repr(torch.nn.PReLU(3))
    _compare_layer(npgrad.nn.PReLU(6, init=0.1), torch.nn.PReLU(6, init=0.1), raw)
    _compare_layer(npgrad.nn.PReLU(), torch.nn.PReLU(), raw)
    with pytest.raises(ValueError, match="divisible by num_groups"):
        npgrad.nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match="expected input with 6 channels"):
        npgrad.nn.GroupNorm(3, 6)(npgrad.ones(2, 4, 3))
    with pytest.raises(ValueError, match="prelu: expected weight of shape"):
        npgrad.nn.PReLU(4)(npgrad.ones(2, 6))


def test_smooth_l1_loss_layer_matches_torch():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((2, 8)).astype(np.float32) * 2, rng.standard_normal((2, 8)).astype(np.float32)
    for beta in (1.0, 0.3):
        ours = npgrad.nn.SmoothL1Loss(beta=beta)(npgrad.tensor(x), npgrad.tensor(y))
        theirs = torch.nn.SmoothL1Loss(beta=beta)(torch.tensor(x), torch.tensor(y))
        np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-6)
        assert ours.dtype == np.float32
    with pytest.raises(ValueError, match="beta must be >= 0"):
        npgrad.nn.functional.smooth_l1_loss(npgrad.tensor(x), npgrad.tensor(y), beta=-1.0)


def test_adaptive_max_pool2d_indices_and_layer_match_torch():
    raw = np.random.default_rng(0).standard_normal((2, 3, 7, 5)).astype(np.float32)
    for size in ((3, 2), 4, (None, 2)):
        ours, theirs = npgrad.nn.AdaptiveMaxPool2d(size, True), torch.nn.AdaptiveMaxPool2d(size, True)
        (v_n, i_n), (v_t, i_t) = ours(npgrad.tensor(raw)), theirs(torch.tensor(raw))
        np.testing.assert_array_equal(v_n.numpy(), v_t.numpy())
        assert i_n.dtype == np.int64 and i_n.tolist() == i_t.tolist()
        assert repr(ours) == repr(theirs)
    with pytest.raises(ValueError, match="adaptive_max_pool2d: output_size must be"):
        npgrad.nn.functional.adaptive_max_pool2d(npgrad.tensor(raw), 0)
    with pytest.raises(ValueError, match=r"AdaptiveMaxPool2d\(output_size=0\): output_size must be"):
        npgrad.nn.AdaptiveMaxPool2d(0)(npgrad.tensor(raw))  # the layer's errors name the layer


def test_constant_and_zero_pad2d_match_torch():
    raw = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    for ours, theirs in [
        (npgrad.nn.ConstantPad2d(1, 3.5), torch.nn.ConstantPad2d(1, 3.5)),
        (npgrad.nn.ZeroPad2d((1, 2, 0, 3)), torch.nn.ZeroPad2d((1, 2, 0, 3))),
    ]:
        np.testing.assert_array_equal(ours(npgrad.tensor(raw)).numpy(), theirs(torch.tensor(raw)).numpy())
        assert repr(ours) == repr(theirs)
    with pytest.raises(ValueError, match="ZeroPad2d: padding must be an int or 4 ints"):
        npgrad.nn.ZeroPad2d((1, 2))


def test_dropout1d_drops_whole_channels():
    npgrad.manual_seed(0)
    layer = npgrad.nn.Dropout1d(0.5)
    assert repr(layer) == repr(torch.nn.Dropout1d(0.5))
    y = layer(npgrad.ones(8, 16, 5)).numpy()
    assert set(np.unique(y)) == {0.0, 2.0} and (y == y[..., :1]).all()  # one draw per (sample, channel)
    assert set(np.unique(layer(npgrad.ones(16, 5)).numpy())) == {0.0, 2.0}  # unbatched (C, L)
    layer.eval()
    np.testing.assert_array_equal(layer(npgrad.ones(2, 3, 4)).numpy(), np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="dropout1d: expected a 3-D input"):
        npgrad.nn.functional.dropout1d(npgrad.ones(2, 3, 4, 5))
