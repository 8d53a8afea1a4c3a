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
    loader = DataLoader(data, batch_size=4, num_workers=2, pin_memory=True, persistent_workers=True,
                        prefetch_factor=2, timeout=0, worker_init_fn=None)
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
