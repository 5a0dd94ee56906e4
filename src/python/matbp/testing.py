"""matbp.testing — assertions for a test suite (pytest or unittest).

    from matbp.testing import assert_gradients_exact
    def test_my_backward():
        assert_gradients_exact(net, X, Y, torch.nn.MSELoss(), gradients=my_grads)

assert_gradients_exact raises AssertionError whose message is the check's table (the worst entry
of each tensor, its ULPs and errors, and any kink note), or names a gradient that is not a finite
number.
"""

import matbp as _matbp

__all__ = ["assert_gradients_exact", "assert_check_passes"]


def assert_check_passes(model, gradients, **options):
    """matbp.check(model, gradients, **options), raising AssertionError (the report's table)
    unless it passes; returns the Report."""
    try:
        report = _matbp.check(model, gradients, **options)
    except _matbp.InputError as e:
        if "not a finite number" in str(e):
            raise AssertionError("matbp: gradient %s" % e) from None
        raise
    if not report.passed:
        raise AssertionError("matbp: gradients differ from the reference (failed: %s)\n%s"
                             % (", ".join(t.name for t in report.failed()), report))
    return report


def assert_gradients_exact(module, inputs, targets, loss_fn, gradients=None, **options):
    """matbp.torch.check(...) (gradients None: PyTorch's own backward, on a copy), raising
    AssertionError with the report's table unless it passes; returns the Report. options:
    precision, arith, max_rel, max_ulps, strict_kinks, max_bits, time_limit, threads."""
    from matbp import torch as _mtorch
    model = _matbp.Model.from_torch(module, inputs, targets, loss_fn)
    if gradients is None:
        gradients = _mtorch.torch_gradients(module, inputs, targets, loss_fn)
    return assert_check_passes(model, gradients, **options)
