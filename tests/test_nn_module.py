"""Module, Parameter and the containers, checked against torch.nn on the same models."""

import copy
from collections import OrderedDict

import numpy as np
import pytest

import npgrad
from npgrad import nn

torch = pytest.importorskip("torch")


def make_net(lib_nn, make_tensor):
    """The same nested model in npgrad.nn or torch.nn: Sequential in Sequential, a ModuleList,
    a ModuleDict, a bare Parameter and two buffers (one not persistent)."""

    class Net(lib_nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = lib_nn.Sequential(
                lib_nn.Linear(4, 8), lib_nn.ReLU(), lib_nn.Sequential(lib_nn.Linear(8, 8), lib_nn.Tanh())
            )
            self.heads = lib_nn.ModuleList([lib_nn.Linear(8, 3), lib_nn.Linear(8, 3), lib_nn.Linear(8, 2, bias=False)])
            self.extra = lib_nn.ModuleDict({"proj": lib_nn.Linear(3, 2), "act": lib_nn.Sigmoid()})
            self.scale = lib_nn.Parameter(make_tensor(np.linspace(0.5, 1.5, 2, dtype=np.float32)))
            self.register_buffer("steps", make_tensor(np.zeros(1, np.float32)))
            self.register_buffer("cache", make_tensor(np.ones(2, np.float32)), persistent=False)

        def forward(self, x):
            h = self.encoder(x)
            y = self.heads[0](h) + self.heads[1](h)
            return self.extra["act"](self.extra["proj"](y)) * self.scale + self.heads[2](h)

    return Net()


def ng_net():
    return make_net(nn, lambda a: npgrad.tensor(a))


def torch_net():
    return make_net(torch.nn, lambda a: torch.tensor(a, dtype=torch.float32))


def torch_state_as_numpy(module):
    return {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}


# ------------------------------------------------------------------ names, order, repr
def test_parameter_is_a_leaf_tensor_with_torch_repr():
    p = nn.Parameter(npgrad.tensor([1.0, 2.0]))
    assert isinstance(p, npgrad.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p) == repr(torch.nn.Parameter(torch.tensor([1.0, 2.0])))
    assert type(p * 2) is npgrad.Tensor
    assert not nn.Parameter(npgrad.zeros(2), requires_grad=False).requires_grad


def test_names_and_order_match_torch():
    ng, th = ng_net(), torch_net()
    assert [n for n, _ in ng.named_parameters()] == [n for n, _ in th.named_parameters()]
    assert [n for n, _ in ng.named_buffers()] == [n for n, _ in th.named_buffers()]
    assert [n for n, _ in ng.named_modules()] == [n for n, _ in th.named_modules()]
    assert [n for n, _ in ng.named_children()] == [n for n, _ in th.named_children()]
    assert list(ng.state_dict()) == list(th.state_dict())
    assert "cache" not in ng.state_dict()
    for (name, p), (_, q) in zip(ng.named_parameters(), th.named_parameters()):
        assert p.shape == tuple(q.shape), name
        assert p.dtype == np.float32, name


def test_repr_matches_torch():
    assert repr(ng_net()) == repr(torch_net())
    ng = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    assert repr(ng) == "Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n)"
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())


def test_recurse_false_and_prefix():
    ng, th = ng_net(), torch_net()
    assert [n for n, _ in ng.named_parameters(recurse=False)] == ["scale"]
    assert [n for n, _ in ng.encoder.named_parameters(prefix="encoder")] == [
        n for n, _ in th.encoder.named_parameters(prefix="encoder")
    ]
    assert len(list(ng.parameters())) == len(list(th.parameters()))
    assert len(list(ng.children())) == 3 and len(list(ng.modules())) == len(list(th.modules()))


def test_shared_parameters_are_yielded_once_but_saved_under_every_name():
    ng_layer, th_layer = nn.Linear(3, 3), torch.nn.Linear(3, 3)
    ng, th = nn.Sequential(ng_layer, nn.Tanh(), ng_layer), torch.nn.Sequential(th_layer, torch.nn.Tanh(), th_layer)
    assert [n for n, _ in ng.named_parameters()] == [n for n, _ in th.named_parameters()] == ["0.weight", "0.bias"]
    assert list(ng.state_dict()) == list(th.state_dict())
    assert len(list(ng.modules())) == len(list(th.modules()))


def test_tied_weights_are_yielded_once_like_torch():
    ng = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    th = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Linear(3, 3))
    ng[1].weight, th[1].weight = ng[0].weight, th[0].weight
    names = [n for n, _ in ng.named_parameters()]
    assert names == [n for n, _ in th.named_parameters()] == ["0.weight", "0.bias", "1.bias"]
    assert list(ng.state_dict()) == list(th.state_dict())


def test_attribute_registration_rules():
    m = nn.Module()
    m.w = nn.Parameter(npgrad.ones(2))
    m.sub = nn.Linear(2, 2)
    m.plain = 3
    assert list(m._parameters) == ["w"] and list(m._modules) == ["sub"] and m.plain == 3
    assert "w" not in m.__dict__ and m.w is m._parameters["w"]
    with pytest.raises(TypeError, match="parameter 'w'"):
        m.w = npgrad.ones(2)  # a plain tensor cannot replace a parameter
    m.w = None
    assert m.w is None and list(m.named_parameters()) == list(m.sub.named_parameters(prefix="sub"))
    m.register_buffer("b", npgrad.zeros(1))
    m.b = npgrad.ones(1)  # a buffer accepts a new tensor
    assert m._buffers["b"].detach().numpy()[0] == 1
    del m.sub
    assert "sub" not in m._modules and not hasattr(m, "sub")
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'missing'"):
        _ = m.missing
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("plain", npgrad.zeros(1))
    with pytest.raises(TypeError):
        m.register_parameter("q", npgrad.ones(1))


def test_assigning_before_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(npgrad.ones(1))

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Broken()


def test_get_submodule_and_add_module():
    ng = ng_net()
    assert ng.get_submodule("encoder.2.0") is ng.encoder[2][0]
    assert ng.get_submodule("") is ng
    with pytest.raises(AttributeError, match="nope"):
        ng.get_submodule("encoder.nope")
    ng.add_module("tail", nn.Identity())
    assert list(ng._modules)[-1] == "tail"
    with pytest.raises(KeyError):
        ng.add_module("a.b", nn.Identity())
    with pytest.raises(TypeError):
        ng.add_module("x", 5)


def test_deepcopy_gives_independent_parameters():
    ng = ng_net()
    clone = copy.deepcopy(ng)
    clone.scale.data[...] = 7
    assert ng.scale.detach().numpy()[0] != 7 and type(clone.scale) is nn.Parameter
    assert list(clone.state_dict()) == list(ng.state_dict())


# ------------------------------------------------------------------ modes and bulk changes
def test_train_eval_propagate():
    ng = ng_net()
    assert all(m.training for m in ng.modules())
    assert ng.eval() is ng
    assert not any(m.training for m in ng.modules())
    ng.encoder.train()
    assert ng.encoder[2][1].training and not ng.training
    with pytest.raises(ValueError):
        ng.train("yes")


def test_requires_grad_freezes_parameters():
    ng = ng_net()
    ng.encoder.requires_grad_(False)
    x = npgrad.randn(5, 4, requires_grad=True)
    ng(x).sum().backward()
    assert all(p.grad is None for p in ng.encoder.parameters())
    assert all(p.grad is not None for p in ng.heads[:2].parameters())
    assert x.grad is not None


def test_zero_grad():
    ng = ng_net()
    ng(npgrad.randn(5, 4)).sum().backward()
    ng.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in ng.parameters())
    ng.zero_grad()
    assert all(p.grad is None for p in ng.parameters())


def test_apply_visits_children_first_like_torch():
    ng_seen, th_seen = [], []
    ng_net().apply(lambda m: ng_seen.append(type(m).__name__))
    torch_net().apply(lambda m: th_seen.append(type(m).__name__))
    assert ng_seen == th_seen


def test_to_double_keeps_parameter_objects():
    ng = ng_net()
    before = list(ng.parameters())
    ng.double()
    assert [id(p) for p in ng.parameters()] == [id(p) for p in before]
    assert all(p.dtype == np.float64 for p in ng.parameters()) and ng.steps.dtype == np.float64
    assert ng(npgrad.randn(2, 4, dtype=np.float64)).dtype == np.float64


# ------------------------------------------------------------------ state_dict
def test_state_dict_shares_memory_like_torch_and_deepcopy_is_a_snapshot():
    for lib, net in ((npgrad, ng_net()), (torch, torch_net())):
        state = net.state_dict()
        assert isinstance(state, OrderedDict)
        assert all(isinstance(v, lib.Tensor) and not v.requires_grad and v.dtype == lib.float32 for v in state.values())
        assert [tuple(v.size()) for v in state.values()] == [tuple(p.shape) for p in state.values()]
        snapshot = copy.deepcopy(state)
        with lib.no_grad():
            net.scale.mul_(2)  # training changes the weights: the state_dict sees it, the snapshot does not
        assert lib.equal(state["scale"], net.scale.detach()) and not lib.equal(snapshot["scale"], state["scale"])
        state["steps"][...] = 7  # and writing into the state_dict writes into the model
        assert float(net.steps[0]) == 7
        assert net.state_dict(keep_vars=True)["scale"] is net.scale


def test_torch_state_dict_loads_and_gives_the_same_output():
    ng, th = ng_net(), torch_net()
    result = ng.load_state_dict(torch_state_as_numpy(th))
    assert result.missing_keys == [] and result.unexpected_keys == []
    x = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
    expected = th(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ng(npgrad.tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_load_casts_to_the_parameter_dtype_and_copies_in_place():
    ng = nn.Linear(2, 3)
    weight = ng.weight
    ng.load_state_dict({"weight": np.ones((3, 2), np.float64), "bias": npgrad.zeros(3)})
    assert ng.weight is weight and weight.dtype == np.float32 and (weight.detach().numpy() == 1).all()


def test_strict_load_lists_missing_unexpected_and_both_shapes():
    ng = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    state = ng.state_dict()
    original = state["0.weight"].clone()
    bad = dict(state)
    del bad["1.bias"]
    bad["extra.weight"] = np.zeros(1, np.float32)
    bad["0.weight"] = np.zeros((4, 2), np.float32)
    bad["0.bias"] = np.zeros(3, np.float32)
    with pytest.raises(RuntimeError) as error:
        ng.load_state_dict(bad)
    message = str(error.value)
    assert '"1.bias"' in message and '"extra.weight"' in message
    assert "0.weight" in message and "(4, 2)" in message and "(3, 2)" in message
    np.testing.assert_array_equal(ng[0].weight.detach().numpy(), original)  # nothing was copied
    assert ng[0].bias.detach().numpy().any()


def test_non_strict_load_returns_the_keys_but_shape_mismatch_still_fails():
    ng = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    state = ng.state_dict()
    del state["1.bias"]
    state["extra"] = np.zeros(1)
    missing, unexpected = ng.load_state_dict(state, strict=False)
    assert missing == ["1.bias"] and unexpected == ["extra"]
    state["1.weight"] = np.zeros((2, 3))
    with pytest.raises(RuntimeError, match=r"1\.weight.*\(2, 3\).*\(1, 3\)"):
        ng.load_state_dict(state, strict=False)


# ------------------------------------------------------------------ forward hooks
def test_forward_hooks_can_replace_inputs_and_outputs_and_be_removed():
    layer = nn.Linear(2, 2)
    x = npgrad.randn(3, 2)
    plain = layer(x).detach().numpy().copy()
    calls = []
    pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
    post = layer.register_forward_hook(lambda m, args, out: calls.append((m, args[0].shape)) or out + 1)
    expected = layer.forward(x * 2).detach().numpy() + 1
    np.testing.assert_allclose(layer(x).detach().numpy(), expected, rtol=1e-6)
    assert calls == [(layer, (3, 2))]
    pre.remove()
    post.remove()
    np.testing.assert_allclose(layer(x).detach().numpy(), plain)
    assert len(calls) == 1
    with layer.register_forward_hook(lambda m, a, o: o * 0):
        assert not layer(x).detach().numpy().any()
    np.testing.assert_allclose(layer(x).detach().numpy(), plain)


def test_forward_hook_captures_every_layer_of_a_sequential():
    ng = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    shapes = []
    handles = [m.register_forward_hook(lambda m, a, o: shapes.append(o.shape)) for m in ng]
    ng(npgrad.randn(4, 2))
    assert shapes == [(4, 3), (4, 3), (4, 1)]
    for h in handles:
        h.remove()
    assert not any(m._forward_hooks for m in ng)


# ------------------------------------------------------------------ backward hooks vs torch
def _numpy(grad):
    """A copy of an npgrad/torch gradient (Tensor or ndarray) as an ndarray; None stays None."""
    if grad is None or isinstance(grad, np.ndarray):
        return None if grad is None else grad.copy()
    return grad.detach().numpy().copy() if isinstance(grad, npgrad.Tensor) else grad.detach().numpy().copy()


def _run_backward_hooks(build, x_requires_grad, x_shape=(5, 3)):
    """Build the same model in both libraries (torch's weights in both), record every full
    backward hook call, and return [(log, x.grad)] for npgrad and for torch."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(np.float32)
    th_model = build(torch.nn)
    ng_model = build(nn)
    ng_model.load_state_dict(torch_state_as_numpy(th_model))
    upstream = None
    results = []
    for model, lib in ((ng_model, npgrad), (th_model, torch)):
        log = []
        for m in model.modules():
            m.register_full_backward_hook(
                lambda m, grad_input, grad_output, log=log: log.append(
                    ([_numpy(g) for g in grad_input], [_numpy(g) for g in grad_output])
                )
            )
        xt = lib.tensor(x, requires_grad=x_requires_grad)
        out = model(xt)
        if upstream is None:
            upstream = rng.standard_normal(tuple(out.shape)).astype(np.float32)
        (out * lib.tensor(upstream)).sum().backward()
        results.append((log, _numpy(xt.grad)))
    return results


def _assert_logs_equal(ng_log, th_log):
    assert len(ng_log) == len(th_log)
    for (ng_in, ng_out), (th_in, th_out) in zip(ng_log, th_log):
        for ng_grads, th_grads in ((ng_in, th_in), (ng_out, th_out)):
            assert len(ng_grads) == len(th_grads)
            for a, b in zip(ng_grads, th_grads):
                assert (a is None) == (b is None)
                if a is not None:
                    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")  # torch's note for x without grad
@pytest.mark.parametrize("x_requires_grad", [True, False])
def test_full_backward_hook_on_linear_matches_torch(x_requires_grad):
    (ng_log, ng_grad), (th_log, th_grad) = _run_backward_hooks(lambda lib: lib.Linear(3, 4), x_requires_grad)
    assert len(ng_log) == 1
    _assert_logs_equal(ng_log, th_log)
    if x_requires_grad:
        np.testing.assert_allclose(ng_grad, th_grad, rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")  # torch's note for x without grad
@pytest.mark.parametrize("x_requires_grad", [True, False])
def test_full_backward_hooks_in_a_sequential_match_torch(x_requires_grad):
    def build(lib):
        return lib.Sequential(lib.Linear(3, 6), lib.Tanh(), lib.Linear(6, 6), lib.ReLU(), lib.Linear(6, 2))

    (ng_log, _), (th_log, _) = _run_backward_hooks(build, x_requires_grad, x_shape=(2, 5, 3))
    assert len(ng_log) == 6
    _assert_logs_equal(ng_log, th_log)


def test_backward_hook_can_replace_grad_input_and_be_removed():
    layer = nn.Linear(3, 2)
    handle = layer.register_full_backward_hook(lambda m, gin, gout: (gin[0] * 0 + 1,))
    x = npgrad.randn(4, 3, requires_grad=True)
    layer(x).sum().backward()
    assert (x.grad == 1).all() and x.grad.dtype == np.float32
    handle.remove()
    x.grad = None
    layer(x).sum().backward()
    np.testing.assert_allclose(x.grad, np.tile(layer.weight.detach().numpy().sum(0), (4, 1)), rtol=1e-6)


def test_backward_hooks_do_nothing_under_no_grad():
    layer = nn.Linear(3, 2)
    layer.register_full_backward_hook(lambda *a: pytest.fail("hook called"))
    with npgrad.no_grad():
        out = layer(npgrad.randn(2, 3, requires_grad=True))
    assert not out.requires_grad


# ------------------------------------------------------------------ containers
def test_sequential_indexing_slicing_and_editing_match_torch():
    def build(lib):
        return lib.Sequential(lib.Linear(2, 3), lib.ReLU(), lib.Linear(3, 3), lib.Tanh())

    ng, th = build(nn), build(torch.nn)
    assert len(ng) == 4 and isinstance(ng[-1], nn.Tanh) and ng[0] is list(ng)[0]
    assert isinstance(ng[1:3], nn.Sequential) and repr(ng[1:3]) == repr(th[1:3])
    assert repr(ng[::2]) == repr(th[::2])
    for model, lib in ((ng, nn), (th, torch.nn)):
        model.append(lib.Sigmoid())
        model.insert(1, lib.Identity())
        del model[3]
        model[0] = lib.Linear(2, 3, bias=False)
    assert repr(ng) == repr(th)
    assert list(ng.state_dict()) == list(th.state_dict())
    with pytest.raises(IndexError):
        ng[10]


def test_sequential_from_ordered_dict_keeps_names():
    spec = [("fc", (2, 3)), ("out", (3, 1))]
    ng = nn.Sequential(OrderedDict((k, nn.Linear(*s)) for k, s in spec))
    th = torch.nn.Sequential(OrderedDict((k, torch.nn.Linear(*s)) for k, s in spec))
    assert list(ng.state_dict()) == list(th.state_dict()) == ["fc.weight", "fc.bias", "out.weight", "out.bias"]
    assert repr(ng) == repr(th) and ng.fc is ng[0]
    ng.load_state_dict(torch_state_as_numpy(th))
    x = np.ones((2, 2), np.float32)
    np.testing.assert_allclose(
        ng(npgrad.tensor(x)).detach().numpy(), th(torch.from_numpy(x)).detach().numpy(), rtol=1e-6
    )


def test_module_list_operations_match_torch():
    def build(lib):
        layers = lib.ModuleList([lib.Linear(2, 2)])
        layers.append(lib.Linear(2, 3))
        layers.extend([lib.ReLU(), lib.ReLU()])
        layers.insert(0, lib.Tanh())
        layers += [lib.Linear(3, 3)]
        return layers

    ng, th = build(nn), build(torch.nn)
    assert len(ng) == len(th) == 6
    assert list(ng.state_dict()) == list(th.state_dict())
    assert repr(ng) == repr(th)
    assert isinstance(ng[1:3], nn.ModuleList) and len(ng[1:3]) == 2
    popped_ng, popped_th = ng.pop(0), th.pop(0)
    assert type(popped_ng).__name__ == type(popped_th).__name__
    assert repr(ng) == repr(th)
    with pytest.raises(NotImplementedError, match="forward"):
        ng(npgrad.ones(1))


def test_module_dict_operations_match_torch():
    def build(lib):
        layers = lib.ModuleDict({"b": lib.Linear(2, 2)})
        layers["a"] = lib.Linear(2, 1)
        layers.update([("c", lib.ReLU())])
        return layers

    ng, th = build(nn), build(torch.nn)
    assert list(ng) == list(th) == ["b", "a", "c"]
    assert list(ng.state_dict()) == list(th.state_dict()) and repr(ng) == repr(th)
    assert "a" in ng and len(ng) == 3 and list(ng.keys()) == ["b", "a", "c"]
    assert isinstance(ng.pop("a"), nn.Linear) and "a" not in ng
    del ng["b"]
    assert list(ng.items())[0][0] == "c"


def test_parameter_list_and_dict_match_torch_and_train():
    values = [np.full(2, 1.0, np.float32), np.full((2, 3), 2.0, np.float32), np.full(1, 3.0, np.float32)]

    def build(lib):
        plist = lib.nn.ParameterList([lib.nn.Parameter(lib.tensor(values[0]))])
        plist.append(lib.tensor(values[1]))  # a plain tensor becomes a Parameter
        pdict = lib.nn.ParameterDict({"scale": lib.nn.Parameter(lib.tensor(values[2]))})
        pdict.update([("shift", lib.tensor(values[0]))])
        holder = lib.nn.Module()
        holder.plist, holder.pdict = plist, pdict
        return holder

    ng, th = build(npgrad), build(torch)
    assert list(ng.state_dict()) == list(th.state_dict()) == ["plist.0", "plist.1", "pdict.scale", "pdict.shift"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in ng.parameters())
    assert len(ng.plist) == 2 and ng.plist[1].shape == (2, 3) and len(ng.plist[:1]) == 1
    assert "scale" in ng.pdict and list(ng.pdict.keys()) == ["scale", "shift"]
    for lib, model in ((npgrad, ng), (torch, th)):  # one SGD step on sum(p^2) moves every one
        optimizer = lib.optim.SGD(model.parameters(), lr=0.25)
        sum((p * p).sum() for p in model.parameters()).backward()
        optimizer.step()
    for (name, p), (_, q) in zip(ng.named_parameters(), th.named_parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), err_msg=name)
    assert isinstance(ng.pdict.pop("shift"), nn.Parameter) and len(ng.pdict) == 1
