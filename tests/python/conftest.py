"""Shared helpers of the `import matbp` suite (CTest python_pytest, label python)."""
import os
import random

import pytest
import torch
from torch import nn


# A 2-2-1 ReLU/identity model with two samples, mse mean (test_model.py, test_verdict.py).
SMALL = {
    "format": "matbp/1",
    "layers": [{"weights": [[0.5, -1.0], [0.25, 2.0]], "bias": [0.1, 0.0], "activation": "relu"},
               {"weights": [[1.0, -0.5]], "bias": [0.0], "activation": "identity"}],
    "loss": "mse", "reduction": "mean",
    "inputs": [[1.0, 2.0], [0.0, 0.0]], "targets": [[0.3], [-1.0]],
}


@pytest.fixture
def cli():
    """The matbp command line of this build (CTest sets MATBP_CLI)."""
    path = os.environ.get("MATBP_CLI")
    if not path:
        pytest.fail("MATBP_CLI is not set (run through CTest, or set it to build/matbp)")
    return path


ACTIVATIONS = ["relu", "leaky", "hardtanh", "tanh", "sigmoid", "softplus", "softsign", "identity", "none"]


def activation(name, rng):
    if name == "relu":
        return nn.ReLU()
    if name == "leaky":
        return nn.LeakyReLU(rng.choice([0.01, rng.uniform(0.001, 0.5)]))
    if name == "hardtanh":
        lo = rng.uniform(-2, 0)
        return nn.Hardtanh(lo, lo + rng.uniform(0.25, 2))
    if name == "tanh":
        return nn.Tanh()
    if name == "sigmoid":
        return nn.Sigmoid()
    if name == "softplus":
        return nn.Softplus()
    if name == "softsign":
        return nn.Softsign()
    if name == "identity":
        return nn.Identity()
    return None


def random_case(seed, dtype):
    """A random supported Sequential with its batch, targets and loss: nested Sequentials,
    Linears without bias, two Linears in a row, an activation first, every activation, every
    loss (cross-entropy with probability and class-index targets), mean and sum."""
    rng = random.Random(seed)
    torch.manual_seed(seed)
    depth = rng.randint(1, 3)
    widths = [rng.randint(1, 5) for _ in range(depth + 1)]
    loss_name = rng.choice(["mse", "huber", "l1", "ce_prob", "ce_index", "f_mse"])
    if loss_name.startswith("ce"):
        widths[-1] = max(widths[-1], 2)
    modules = []
    if rng.random() < 0.2:
        modules.append(activation(rng.choice(["relu", "tanh", "softsign"]), rng))
    for l in range(depth):
        modules.append(nn.Linear(widths[l], widths[l + 1], bias=rng.random() < 0.8))
        act = activation(rng.choice(ACTIVATIONS), rng)
        if act is not None:
            modules.append(act)
    if len(modules) > 2 and rng.random() < 0.4:
        cut = rng.randint(1, len(modules) - 1)
        modules = modules[:cut] + [nn.Sequential(*modules[cut:])]
    net = nn.Sequential(*modules).to(dtype)
    n = rng.randint(1, 6)
    X = torch.randn(n, widths[0], dtype=dtype)
    reduction = rng.choice(["mean", "sum"])
    if loss_name == "mse":
        loss, Y = nn.MSELoss(reduction=reduction), torch.randn(n, widths[-1], dtype=dtype)
    elif loss_name == "f_mse":
        loss, Y = nn.functional.mse_loss, torch.randn(n, widths[-1], dtype=dtype)
    elif loss_name == "huber":
        loss, Y = nn.HuberLoss(reduction=reduction, delta=rng.choice([1.0, 0.3])), torch.randn(n, widths[-1], dtype=dtype)
    elif loss_name == "l1":
        loss, Y = nn.L1Loss(reduction=reduction), torch.randn(n, widths[-1], dtype=dtype)
    elif loss_name == "ce_prob":
        loss, Y = nn.CrossEntropyLoss(reduction=reduction), torch.softmax(torch.randn(n, widths[-1], dtype=dtype), 1)
    else:
        loss, Y = nn.CrossEntropyLoss(reduction=reduction), torch.randint(0, widths[-1], (n,))
    return net, X, Y, loss
