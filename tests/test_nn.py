"""convbp.nn: every layer against finite differences, a whole network on a random
direction, the losses, SGD against a hand-written update, initialisation, and bad input.

PyTorch comparisons live in tests/test_nn_torch.py (skipped without torch).
"""

import numpy as np
import pytest

import convbp
from convbp import nn
from convbp.gradcheck import numerical_gradient


def _rel_err(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def _fd(f, a, entries, eps=1e-6):
    """Central differences of f at a, for the listed flat entries only."""
    a = a.copy()
    flat = a.reshape(-1)
    out = []
    for i in entries:
        v = flat[i]
        flat[i] = v + eps
        plus = f(a)
        flat[i] = v - eps
        minus = f(a)
        flat[i] = v
        out.append((plus - minus) / (2 * eps))
    return np.array(out)


def _check_layer(layer, x, rng, tol=1e-7, max_entries=48):
    """Finite differences of L = <dy, layer(x)> against backward, for x and every param.

    Every parameter entry is checked; of x, ``max_entries`` random entries (all if
    fewer) and, over all of x at once, the derivative along a random direction.
    """
    y = layer.forward(x)
    dy = rng.normal(size=y.shape)                     # random cotangent, never all ones
    dx = layer.backward(dy)
    assert dx.shape == x.shape

    def loss_x(a):
        return np.sum(dy * layer.forward(a))

    entries = rng.permutation(x.size)[:max_entries]
    assert _rel_err(dx.reshape(-1)[entries], _fd(loss_x, x, entries)) < tol
    v = rng.normal(size=x.shape)
    along = (loss_x(x + 1e-6 * v) - loss_x(x - 1e-6 * v)) / 2e-6
    assert abs(np.sum(dx * v) - along) < tol * max(1.0, abs(along))
    for owner, name in layer.parameters():
        original = getattr(owner, name).copy()
        grad = getattr(owner, "d" + name)
        assert grad.shape == original.shape

        def loss_p(a, owner=owner, name=name):
            setattr(owner, name, a)
            return np.sum(dy * layer.forward(x))

        numeric = numerical_gradient(loss_p, original)
        setattr(owner, name, original)
        assert _rel_err(grad, numeric) < tol, (owner, name)


CONV_CASES = [
    # in, out, kernel, stride, padding, dilation, groups, bias, input spatial
    (2, 3, 3, 1, 0, 1, 1, True, (6, 5)),
    (2, 3, 3, 2, 1, 1, 1, True, (7, 6)),              # leftover row at stride 2
    (1, 2, (2, 3), (3, 2), ((1, 0), (0, 2)), 1, 1, True, (7, 8)),   # asymmetric
    (2, 2, 3, 2, 2, 2, 1, False, (9, 8)),             # dilation, no bias
    (4, 6, 3, 2, 1, 1, 2, True, (6, 6)),              # groups
    (3, 3, 3, 1, 1, 1, 3, True, (5, 5)),              # depthwise
    (2, 3, (3,), 3, 0, 1, 1, True, (10,)),            # 1-D, stride = kernel
    (2, 2, (2,), 4, 0, 1, 1, True, (9,)),             # 1-D, stride > kernel
    (1, 2, (2, 2, 2), 2, 1, 1, 1, True, (3, 4, 3)),   # 3-D
    (2, 3, 1, 1, 0, 1, 1, True, (1, 4)),              # 1x1 kernel, size-1 dim
]


@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv_layer_matches_finite_differences(case):
    c_in, c_out, k, s, p, d, groups, bias, size = case
    rng = np.random.default_rng(len(size) * 100 + c_in * 10 + c_out)
    layer = nn.Conv(c_in, c_out, k, stride=s, padding=p, dilation=d, groups=groups,
                    bias=bias, rng=rng)
    assert (layer.b is None) == (not bias)
    _check_layer(layer, rng.normal(size=(2, c_in, *size)), rng)
    assert (layer.db is None) == (not bias)


def test_linear_layer_matches_finite_differences():
    rng = np.random.default_rng(1)
    _check_layer(nn.Linear(5, 3, rng=rng), rng.normal(size=(4, 5)), rng)
    _check_layer(nn.Linear(5, 3, bias=False, rng=rng), rng.normal(size=(4, 5)), rng)


def test_relu_matches_finite_differences_and_keeps_only_a_mask():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 2, 4))
    x[np.abs(x) < 0.05] = 0.5                       # no kink within the FD step
    relu = nn.ReLU()
    _check_layer(relu, x, rng)
    relu.forward(x)
    assert relu._mask.dtype == bool and relu._mask.shape == x.shape
    # the derivative at exactly 0 is 0
    relu.forward(np.zeros((1, 3)))
    assert np.all(relu.backward(np.ones((1, 3))) == 0)


POOL_CASES = [
    # kernel, stride, padding, input spatial
    (2, None, 0, (6, 6)),
    (3, 2, 1, (7, 6)),                  # overlapping windows, padding, leftover
    ((2, 3), (1, 2), 0, (5, 7)),        # overlapping in one dim only
    (2, 3, 0, (8,)),                    # 1-D, stride > kernel: unread cells
    (2, None, 0, (4, 4, 4)),            # 3-D
]


@pytest.mark.parametrize("case", POOL_CASES, ids=str)
@pytest.mark.parametrize("kind", [nn.MaxPool, nn.AvgPool])
def test_pool_layers_match_finite_differences(kind, case):
    k, s, p, size = case
    rng = np.random.default_rng(3)
    n = 2 * 3 * int(np.prod(size))
    # distinct values at least 0.01 apart: no ties within the finite-difference step
    x = (rng.permutation(n) * 0.01).reshape(2, 3, *size)
    _check_layer(kind(k, stride=s, padding=p), x, rng)


def test_avg_pool_keeps_only_shape_and_dtype():
    pool = nn.AvgPool(2)
    x = np.ones((1, 1, 4, 4), dtype=np.float32)
    pool.forward(x)
    assert pool._x == (x.shape, np.dtype(np.float32))
    assert pool.backward(np.ones((1, 1, 2, 2), np.float32)).dtype == np.float32


def test_flatten_matches_finite_differences():
    rng = np.random.default_rng(4)
    _check_layer(nn.Flatten(), rng.normal(size=(3, 2, 2, 3)), rng)


def _net(rng, dtype=np.float64):
    return nn.Sequential(
        nn.Conv(2, 4, 3, padding=1, rng=rng, dtype=dtype), nn.ReLU(),
        nn.MaxPool(2),
        nn.Conv(4, 6, 3, stride=2, padding=1, rng=rng, dtype=dtype), nn.ReLU(),
        nn.AvgPool(2, stride=1),
        nn.Flatten(), nn.Linear(6, 5, rng=rng, dtype=dtype))


def test_whole_network_gradient_on_a_random_direction():
    """L(theta + eps v) - L(theta - eps v) = 2 eps <grad L, v> for x and all params."""
    rng = np.random.default_rng(5)
    net = _net(rng)
    x = rng.normal(size=(3, 2, 7, 7))
    labels = rng.integers(5, size=3)
    loss, dlogits = nn.softmax_cross_entropy(net.forward(x), labels)
    dx = net.backward(dlogits)
    params = [(owner, name, getattr(owner, name).copy()) for owner, name in net.parameters()]
    assert len(params) == 6
    directions = [rng.normal(size=p.shape) for _, _, p in params]
    vx = rng.normal(size=x.shape)
    analytic = np.sum(dx * vx) + sum(
        np.sum(getattr(owner, "d" + name) * v) for (owner, name, _), v in zip(params, directions))

    def loss_at(t):
        for (owner, name, p), v in zip(params, directions):
            setattr(owner, name, p + t * v)
        return nn.softmax_cross_entropy(net.forward(x + t * vx), labels)[0]

    eps = 1e-6
    numeric = (loss_at(eps) - loss_at(-eps)) / (2 * eps)
    assert loss_at(0.0) == loss
    assert abs(analytic - numeric) < 1e-6 * max(1.0, abs(numeric))
    assert abs(analytic) > 1e-3                     # the check is not vacuous


def test_sequential_chains_the_layers_by_hand():
    rng = np.random.default_rng(6)
    net = _net(rng)
    x = rng.normal(size=(2, 2, 6, 6))
    y = x
    for layer in net.layers:
        y = layer.forward(y)
    np.testing.assert_array_equal(net.forward(x), y)
    dy = rng.normal(size=y.shape)
    d = dy
    for layer in reversed(net.layers):
        d = layer.backward(d)
    np.testing.assert_array_equal(net.backward(dy), d)
    assert len(net) == 8 and net[0] is net.layers[0]


def test_softmax_cross_entropy_against_direct_formula_and_finite_differences():
    rng = np.random.default_rng(7)
    z = rng.normal(size=(4, 6)) * 3
    labels = np.array([0, 5, 2, 2])
    loss, d = nn.softmax_cross_entropy(z, labels)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert np.isclose(loss, -np.mean(np.log(p[np.arange(4), labels])), rtol=1e-14)
    numeric = numerical_gradient(lambda a: nn.softmax_cross_entropy(a, labels)[0], z)
    assert _rel_err(d, numeric) < 1e-7
    np.testing.assert_allclose(d.sum(axis=1), 0, atol=1e-15)   # rows of p - onehot


def test_softmax_cross_entropy_is_stable_and_keeps_float32():
    big = np.array([[1e4, 0.0, -1e4]])
    loss, d = nn.softmax_cross_entropy(big, np.array([1]))
    assert np.isfinite(loss) and np.isclose(loss, 1e4)
    np.testing.assert_allclose(d, [[1.0, -1.0, 0.0]], atol=1e-12)
    loss32, d32 = nn.softmax_cross_entropy(np.float32([[1.0, 2.0]]), np.array([0]))
    assert d32.dtype == np.float32
    assert np.isclose(loss32, np.log1p(np.e), rtol=1e-6)


def test_mse_is_half_the_squared_error_sum():
    rng = np.random.default_rng(8)
    y, t = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    loss, dy = nn.mse(y, t)
    assert np.isclose(loss, 0.5 * np.sum((t - y) ** 2), rtol=1e-14)
    assert _rel_err(dy, numerical_gradient(lambda a: nn.mse(a, t)[0], y)) < 1e-7


class _Param:
    """A one-parameter 'model' for SGD: w and its gradient dw, b absent."""

    def __init__(self, w):
        self.w, self.dw = w, None

    def parameters(self):
        yield self, "w"


def test_sgd_matches_the_update_written_out():
    w0 = np.array([1.0, -2.0, 0.5])
    grads = [np.array([0.3, 0.1, -0.2]), np.array([-0.5, 0.4, 0.25]),
             np.array([0.05, -0.3, 0.6])]
    lr, mu, wd = 0.1, 0.9, 0.01
    model = _Param(w0.copy())
    opt = nn.SGD(model, lr, momentum=mu, weight_decay=wd)
    w, buf = w0.copy(), None
    for grad in grads:
        model.dw = grad
        opt.step()
        d = grad + wd * w                                # decay first, then momentum
        buf = d if buf is None else mu * buf + d
        w = w - lr * buf
        np.testing.assert_allclose(model.w, w, rtol=1e-15, atol=1e-15)
    # hand arithmetic of the first step: 1 - 0.1 * (0.3 + 0.01 * 1) = 0.969
    fresh = _Param(w0.copy())
    fresh.dw = grads[0]
    nn.SGD(fresh, lr, momentum=mu, weight_decay=wd).step()
    assert np.isclose(fresh.w[0], 0.969, rtol=1e-15)


def test_sgd_updates_in_place_and_keeps_float32():
    rng = np.random.default_rng(9)
    net = _net(rng, dtype=np.float32)
    arrays = [getattr(owner, name) for owner, name in net.parameters()]
    assert all(a.dtype == np.float32 for a in arrays)
    x = rng.normal(size=(2, 2, 6, 6)).astype(np.float32)
    loss, d = nn.softmax_cross_entropy(net.forward(x), np.array([1, 3]))
    net.backward(d)
    before = [a.copy() for a in arrays]
    nn.SGD(net, 0.5, momentum=0.5, weight_decay=0.1).step()
    after = [getattr(owner, name) for owner, name in net.parameters()]
    assert all(a is b for a, b in zip(arrays, after))          # in place
    assert all(a.dtype == np.float32 for a in after)
    assert all(not np.array_equal(a, b) for a, b in zip(after, before))
    assert all(getattr(o, "d" + n).dtype == np.float32 for o, n in net.parameters())


def test_he_init_is_deterministic_and_has_the_he_variance():
    a = nn.Conv(16, 32, 3, rng=np.random.default_rng(10))
    b = nn.Conv(16, 32, 3, rng=np.random.default_rng(10))
    c = nn.Conv(16, 32, 3, rng=np.random.default_rng(11))
    np.testing.assert_array_equal(a.w, b.w)
    assert not np.array_equal(a.w, c.w)
    assert np.all(a.b == 0)
    big = nn.Linear(400, 500, rng=12)
    assert abs(big.w.std() / np.sqrt(2 / 400) - 1) < 0.01     # 200k draws
    assert abs(big.w.mean()) < 0.01 * np.sqrt(2 / 400)
    grouped = nn.Conv(8, 4, (3, 5), groups=2, rng=13)           # fan_in = 4 * 15
    assert abs(grouped.w.std() / np.sqrt(2 / 60) - 1) < 0.15
    f32 = nn.Linear(400, 500, rng=12, dtype=np.float32)
    assert f32.w.dtype == np.float32
    np.testing.assert_array_equal(f32.w, big.w.astype(np.float32))


# --------------------------------------------------------------------------- bad input

def _raises(exc, match, fn, *args, **kwargs):
    with pytest.raises(exc, match=match):
        fn(*args, **kwargs)


def test_wrong_input_is_named():
    conv = nn.Conv(3, 4, 3, rng=0)
    _raises(ValueError, r"Conv\(3, 4, 3\): x must have shape "
            r"\(N, 3, \*spatial\).*got shape \(2, 2, 5, 5\)",
            conv.forward, np.zeros((2, 2, 5, 5)))
    _raises(ValueError, r"Conv\(3, 4.*2 spatial dim.*got shape \(2, 3, 5\)",
            conv.forward, np.zeros((2, 3, 5)))
    _raises(ValueError, r"Conv\(3, 4.*\): conv: .*", conv.forward, np.zeros((1, 3, 2, 2)))
    _raises(TypeError, r"Conv\(3, 4.*x must be a real numeric array",
            conv.forward, np.array([["a"]]))
    _raises(ValueError, r"Linear\(5, 2\): x must have shape \(N, 5\), got shape \(3, 4\)",
            nn.Linear(5, 2, rng=0).forward, np.zeros((3, 4)))
    _raises(ValueError, r"MaxPool\(2\): x must have shape \(N, C, \*spatial\).*\(4, 4\)",
            nn.MaxPool(2).forward, np.zeros((4, 4)))
    _raises(ValueError, r"AvgPool\(3\): avg_pool: .*", nn.AvgPool(3).forward,
            np.zeros((1, 1, 2, 2)))


def test_backward_before_forward_and_wrong_dy_are_named():
    for layer in (nn.Conv(1, 1, 3, rng=0), nn.Linear(2, 2, rng=0), nn.ReLU(),
                  nn.MaxPool(2), nn.AvgPool(2), nn.Flatten()):
        _raises(ValueError, rf"{type(layer).__name__}\(.*backward called before forward",
                layer.backward, np.zeros((1, 1)))
    _raises(ValueError, r"Linear\(2, 2\): backward called before forward",
            nn.Sequential(nn.ReLU(), nn.Linear(2, 2, rng=0)).backward, np.zeros((1, 2)))
    conv = nn.Conv(1, 2, 3, rng=0)
    conv.forward(np.zeros((1, 1, 5, 5)))
    _raises(ValueError, r"Conv\(1, 2.*dy must have the shape of the last forward's output "
            r"\(1, 2, 3, 3\), got \(1, 2, 3, 4\)", conv.backward, np.zeros((1, 2, 3, 4)))
    pool = nn.MaxPool(2)
    pool.forward(np.zeros((1, 1, 4, 4)))
    _raises(ValueError, r"MaxPool\(2\): dy must have.*\(1, 1, 2, 2\)", pool.backward,
            np.zeros((1, 1, 4, 4)))


def test_bad_labels_and_loss_arguments_are_named():
    z = np.zeros((3, 4))
    _raises(ValueError, r"softmax_cross_entropy: labels must be in \[0, 4\).*got 4 at "
            r"position 1", nn.softmax_cross_entropy, z, np.array([0, 4, 1]))
    _raises(ValueError, r"labels must be in \[0, 4\).*got -1 at position 2",
            nn.softmax_cross_entropy, z, np.array([0, 1, -1]))
    _raises(TypeError, r"softmax_cross_entropy: labels must be integer.*float64",
            nn.softmax_cross_entropy, z, np.array([0.0, 1.0, 2.0]))
    _raises(ValueError, r"labels must have shape \(N,\) = \(3,\).*got shape \(2,\)",
            nn.softmax_cross_entropy, z, np.array([0, 1]))
    _raises(ValueError, r"logits must have shape \(N, C\).*got shape \(4,\)",
            nn.softmax_cross_entropy, np.zeros(4), np.array([0]))
    _raises(ValueError, r"mse: target must have the shape of y \(2, 2\), got \(2,\)",
            nn.mse, np.zeros((2, 2)), np.zeros(2))


def test_bad_constructor_and_optimiser_arguments_are_named():
    _raises(ValueError, r"Conv: in_channels must be a positive int, got 0", nn.Conv, 0, 2, 3)
    _raises(TypeError, r"Conv: out_channels must be a positive int, got 2.0",
            nn.Conv, 1, 2.0, 3)
    _raises(ValueError, r"Conv: groups=2 must divide in_channels=3", nn.Conv, 3, 4, 3,
            groups=2)
    _raises(ValueError, r"Conv: stride must be .*got \(2, 0\)", nn.Conv, 1, 1, 3,
            stride=(2, 0))
    _raises(ValueError, r"Conv: padding must be .*got \(1, 1, 1\)", nn.Conv, 1, 1, 3,
            padding=(1, 1, 1))
    _raises(TypeError, r"Conv: kernel_size must be an int or a non-empty tuple",
            nn.Conv, 1, 1, "3")
    _raises(TypeError, r"Linear: dtype must be float32 or float64, got int64",
            nn.Linear, 2, 2, dtype=np.int64)
    _raises(TypeError, r"Linear: rng must be None, an int seed or a numpy.random.Generator",
            nn.Linear, 2, 2, rng="seed")
    _raises(ValueError, r"MaxPool: kernel_size must be .*got 0", nn.MaxPool, 0)
    _raises(ValueError, r"AvgPool: stride must be .*length 3", nn.AvgPool, (2, 2),
            stride=(1, 1, 1))
    _raises(TypeError, r"Sequential: layer 1 must have forward and backward",
            nn.Sequential, nn.ReLU(), np.zeros(3))
    lin = nn.Linear(2, 2, rng=0)
    _raises(ValueError, r"SGD: lr must be a non-negative number, got -0.1", nn.SGD, lin,
            -0.1)
    _raises(ValueError, r"SGD: momentum must be .*got nan", nn.SGD, lin, 0.1,
            momentum=float("nan"))
    _raises(ValueError, r"SGD: model has no parameters", nn.SGD, nn.ReLU(), 0.1)
    _raises(ValueError, r"SGD.step: Linear\(2, 2\).dw is None: call backward before step",
            nn.SGD(lin, 0.1).step)


def test_backward_without_the_input_gradient():
    """input_grad=False: no dx (None), the same parameter gradients, in conv_backward,
    Conv.backward and Sequential.backward (first layer a Conv, or a nested Sequential)."""
    rng = np.random.default_rng(11)
    x, w = rng.normal(size=(2, 3, 9, 8)), rng.normal(size=(4, 3, 3, 2))
    dy = rng.normal(size=convbp.conv(x, w, stride=2, padding=1).shape)
    full = convbp.conv_backward(dy, x, w, stride=2, padding=1)
    part = convbp.conv_backward(dy, x, w, stride=2, padding=1, input_grad=False)
    assert part.dx is None
    np.testing.assert_array_equal(part.dw, full.dw)
    np.testing.assert_array_equal(part.db, full.db)
    for nested in (False, True):
        def build():
            body = [nn.Conv(3, 4, 3, stride=2, padding=1, rng=1), nn.ReLU()]
            head = [nn.Flatten(), nn.Linear(4 * 5 * 4, 5, rng=2)]
            return nn.Sequential(nn.Sequential(*body), *head) if nested else \
                nn.Sequential(*body, *head)
        nets = build(), build()
        d_logits = rng.normal(size=(2, 5))
        for net in nets:
            net.forward(x)
        assert nets[0].backward(d_logits).shape == x.shape
        assert nets[1].backward(d_logits, input_grad=False) is None
        for (a, name), (b, _) in zip(nets[0].parameters(), nets[1].parameters()):
            np.testing.assert_array_equal(getattr(a, "d" + name), getattr(b, "d" + name))
