"""Anomaly detection: detect_anomaly / set_detect_anomaly, forward tracebacks, NaN checks."""
import threading
import warnings

import numpy as np
import pytest
import torch

import kittygrad as kitty
from kittygrad.autograd import anomaly_mode
from kittygrad.autograd import function as _function
from kittygrad.autograd.anomaly_mode import check_backward_result



@pytest.fixture(autouse=True)
def _mode_off():
    yield
    anomaly_mode.set_anomaly_enabled(False)


def quiet_detect_anomaly(**kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return kitty.autograd.detect_anomaly(**kw)


def test_off_by_default_and_costs_nothing():
    assert not anomaly_mode.is_anomaly_enabled()
    assert anomaly_mode.is_anomaly_check_nan_enabled()
    assert anomaly_mode._anomaly.enabled is False
    assert anomaly_mode._record_traceback not in _function.observers
    y = kitty.tensor([1.0], requires_grad=True) * 2
    assert "traceback_" not in y.grad_fn.metadata


def test_detect_anomaly_warns_like_torch_and_nests():
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        ctx = kitty.autograd.detect_anomaly()
    with ctx:
        assert anomaly_mode.is_anomaly_enabled()
        with kitty.autograd.set_detect_anomaly(False):
            assert not anomaly_mode.is_anomaly_enabled()
            assert anomaly_mode._record_traceback not in _function.observers
        assert anomaly_mode.is_anomaly_enabled()
        with quiet_detect_anomaly(check_nan=False):
            assert not anomaly_mode.is_anomaly_check_nan_enabled()
        assert anomaly_mode.is_anomaly_check_nan_enabled()
    assert not anomaly_mode.is_anomaly_enabled()
    assert _function.observers.count(anomaly_mode._record_traceback) == 0


def test_set_detect_anomaly_as_a_call_and_decorator():
    kitty.autograd.set_detect_anomaly(True)
    assert anomaly_mode.is_anomaly_enabled()
    kitty.autograd.set_detect_anomaly(False)
    assert not anomaly_mode.is_anomaly_enabled()

    @quiet_detect_anomaly()
    def inside():
        return anomaly_mode.is_anomaly_enabled()

    assert inside() and not anomaly_mode.is_anomaly_enabled()


def test_mode_is_global_across_threads():
    seen = []
    with quiet_detect_anomaly():
        t = threading.Thread(target=lambda: seen.append(anomaly_mode.is_anomaly_enabled()))
        t.start()
        t.join()
    assert seen == [True]  # as torch: not thread-local


def test_forward_traceback_is_recorded_without_internal_frames():
    x = kitty.tensor([1.0], requires_grad=True)
    with quiet_detect_anomaly():
        y = kitty.sqrt(x)  # THE-FORWARD-LINE
        z = kitty.nn.functional.relu(y)
    tb = "".join(y.grad_fn.metadata["traceback_"])
    assert "test_anomaly.py" in tb and "THE-FORWARD-LINE" in tb
    assert "kittygrad/ops" not in tb and "kittygrad/autograd" not in tb
    assert "relu(y)" in "".join(z.grad_fn.metadata["traceback_"])


def test_check_backward_result_raises_with_node_name_and_traceback():
    x = kitty.tensor([0.0], requires_grad=True)
    with quiet_detect_anomaly():
        y = kitty.sqrt(x)  # SQRT-LINE
    grads = y.grad_fn.backward(np.zeros(1, dtype=np.float32))  # 0 / (2 * sqrt(0)) = nan
    with pytest.warns(UserWarning, match="Error detected in SqrtBackward. Traceback of forward call") as caught:
        with pytest.raises(RuntimeError) as info:
            check_backward_result(y.grad_fn, grads)
    assert str(info.value) == "Function 'SqrtBackward' returned nan values in its 0th output."  # torch's one line
    warned = "".join(str(w.message) for w in caught)
    assert "Traceback of forward call that caused the error:" in warned and "SQRT-LINE" in warned
    assert isinstance(info.value, kitty.KittygradError)


def test_check_backward_result_output_index_tensors_and_clean_grads():
    a = kitty.tensor([1.0], requires_grad=True)
    with quiet_detect_anomaly():
        node = (a * a).grad_fn
    check_backward_result(node, (np.ones(1), None, kitty.tensor([2.0])))  # no NaN: nothing happens
    check_backward_result(node, (np.array([1, 2]),))  # integer arrays cannot hold NaN
    with pytest.warns(UserWarning):
        with pytest.raises(RuntimeError, match="returned nan values in its 2th output"):
            check_backward_result(node, (np.ones(1), None, kitty.tensor([float("nan")])))
    with quiet_detect_anomaly(check_nan=False):
        check_backward_result(node, (np.array([np.nan]),))  # checks off


def test_node_without_forward_information():
    node = (kitty.tensor([1.0], requires_grad=True) * 2).grad_fn  # made with the mode off
    with quiet_detect_anomaly():
        with pytest.warns(UserWarning, match="No forward pass information available"):
            with pytest.raises(RuntimeError, match="returned nan values in its 0th output"):
                check_backward_result(node, (np.array([np.nan]),))


def test_torch_raises_in_the_same_situation():
    x = torch.tensor([0.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.autograd.detect_anomaly():
            y = torch.sqrt(x) * 0
            with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values in its 0th output"):
                y.sum().backward()


def test_end_to_end_nan_in_backward_raises():
    x = kitty.tensor([0.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with kitty.autograd.detect_anomaly():
            y = kitty.sqrt(x) * 0  # FORWARD-CALL-E2E
            with pytest.raises(RuntimeError) as info:
                y.sum().backward()
    assert str(info.value) == "Function 'SqrtBackward' returned nan values in its 0th output."
    warned = "".join(str(w.message) for w in caught)
    assert "test_anomaly.py" in warned and "FORWARD-CALL-E2E" in warned


def test_end_to_end_division_names_the_right_output():
    x = kitty.tensor([0.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with kitty.autograd.detect_anomaly():
            y = x / x  # DIV-LINE
            with pytest.raises(RuntimeError) as info:
                y.sum().backward()
    assert "Function 'DivBackward' returned nan values in its" in str(info.value)
    assert "DIV-LINE" in "".join(str(w.message) for w in caught)


def test_without_anomaly_mode_nan_flows_silently():
    x = kitty.tensor([0.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (kitty.sqrt(x) * 0).sum().backward()
    assert np.isnan(x.grad.numpy()).all()


def test_a_changed_saved_value_warns_with_the_forward_traceback_before_raising():
    # torch's anomaly mode names the node and where its forward ran, then raises
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with kitty.autograd.detect_anomaly():
            a = kitty.randn(3, requires_grad=True)
            b = a.sigmoid()
            b.mul_(2)
            with pytest.raises(RuntimeError, match="modified by an inplace operation"):
                b.sum().backward()
    texts = [str(w.message) for w in caught]
    assert any(t.startswith("Error detected in SigmoidBackward") and "b = a.sigmoid()" in t for t in texts), texts
