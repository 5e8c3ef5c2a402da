"""convbp.nn against PyTorch, weight for weight. Optional: skipped cleanly without torch."""

import numpy as np
import pytest

from convbp import nn

torch = pytest.importorskip("torch")


def _convbp_net(rng, dtype):
    return nn.Sequential(
        nn.Conv(1, 4, 3, padding=1, rng=rng, dtype=dtype), nn.ReLU(),
        nn.MaxPool(2),
        nn.Conv(4, 6, 3, stride=2, padding=(1, 0), rng=rng, dtype=dtype), nn.ReLU(),
        nn.AvgPool(2, stride=1),
        nn.Flatten(), nn.Linear(6, 10, rng=rng, dtype=dtype))


def _torch_copy(net, tdtype):
    """The same network in torch, every parameter copied from ``net``."""
    t = torch.nn
    model = t.Sequential(
        t.Conv2d(1, 4, 3, padding=1), t.ReLU(), t.MaxPool2d(2),
        t.Conv2d(4, 6, 3, stride=2, padding=(1, 0)), t.ReLU(),
        t.AvgPool2d(2, stride=1), t.Flatten(), t.Linear(6, 10)).to(tdtype)
    with torch.no_grad():
        for tp, (owner, name) in zip(model.parameters(), net.parameters()):
            tp.copy_(torch.from_numpy(getattr(owner, name).copy()))
    return model


@pytest.mark.parametrize("dtype,tdtype,tol", [(np.float64, torch.float64, 1e-12),
                                              (np.float32, torch.float32, 2e-5)])
def test_training_steps_match_torch_sgd(dtype, tdtype, tol):
    """Forward, loss, every gradient, and three SGD steps with momentum and decay."""
    rng = np.random.default_rng(0)
    net = _convbp_net(rng, dtype)
    model = _torch_copy(net, tdtype)
    assert len(list(model.parameters())) == len(list(net.parameters())) == 6
    opt = nn.SGD(net, 0.05, momentum=0.9, weight_decay=0.01)
    topt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=0.01)
    for step in range(3):
        x = rng.normal(size=(5, 1, 8, 11)).astype(dtype)
        labels = rng.integers(10, size=5)
        logits = net.forward(x)
        loss, dlogits = nn.softmax_cross_entropy(logits, labels)
        net.backward(dlogits)
        opt.step()

        topt.zero_grad()
        tlogits = model(torch.from_numpy(x))
        tloss = torch.nn.functional.cross_entropy(tlogits, torch.from_numpy(labels))
        tloss.backward()
        np.testing.assert_allclose(logits, tlogits.detach().numpy(), rtol=tol, atol=tol)
        assert abs(loss - tloss.item()) < tol * max(1.0, abs(loss))
        for tp, (owner, name) in zip(model.parameters(), net.parameters()):
            np.testing.assert_allclose(getattr(owner, "d" + name), tp.grad.numpy(),
                                       rtol=tol, atol=tol, err_msg=f"step {step} d{name}")
        topt.step()
        for tp, (owner, name) in zip(model.parameters(), net.parameters()):
            got = getattr(owner, name)
            assert got.dtype == dtype
            np.testing.assert_allclose(got, tp.detach().numpy(), rtol=tol, atol=tol,
                                       err_msg=f"step {step} {name}")


def test_input_gradient_and_losses_match_torch():
    rng = np.random.default_rng(1)
    net = _convbp_net(rng, np.float64)
    model = _torch_copy(net, torch.float64)
    x = rng.normal(size=(3, 1, 8, 11))
    xt = torch.tensor(x, requires_grad=True)
    target = rng.normal(size=(3, 10))
    loss, dy = nn.mse(net.forward(x), target)
    dx = net.backward(dy)
    tloss = 0.5 * torch.nn.functional.mse_loss(model(xt), torch.tensor(target),
                                               reduction="sum")
    tloss.backward()
    assert abs(loss - tloss.item()) < 1e-12 * abs(loss)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_sgd_plain_and_decay_only_match_torch():
    rng = np.random.default_rng(2)
    for momentum, decay in ((0.0, 0.0), (0.0, 0.1), (0.5, 0.0)):
        layer = nn.Linear(4, 3, rng=rng)
        tlayer = torch.nn.Linear(4, 3).double()
        with torch.no_grad():
            tlayer.weight.copy_(torch.from_numpy(layer.w))
            tlayer.bias.copy_(torch.from_numpy(layer.b))
        opt = nn.SGD(layer, 0.2, momentum=momentum, weight_decay=decay)
        topt = torch.optim.SGD(tlayer.parameters(), lr=0.2, momentum=momentum,
                               weight_decay=decay)
        for _ in range(3):
            x, dy = rng.normal(size=(2, 4)), rng.normal(size=(2, 3))
            layer.forward(x)
            layer.backward(dy)
            opt.step()
            topt.zero_grad()
            tlayer(torch.from_numpy(x)).backward(torch.from_numpy(dy))
            topt.step()
        np.testing.assert_allclose(layer.w, tlayer.weight.detach().numpy(), rtol=1e-14)
        np.testing.assert_allclose(layer.b, tlayer.bias.detach().numpy(), rtol=1e-14)
