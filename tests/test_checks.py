"""tlearn.checks, the argument checks at the package's boundary: one table of good values (passed through,
converted where the check converts) and one of bad values (each raises, naming the parameter)."""

import math

import numpy as np
import pytest
import torch

from tlearn import checks

GOOD = [
    # (check, arguments after the name, expected result or None to compare with the input)
    (checks.positive_int, (1,), 1),
    (checks.positive_int, (250,), 250),
    (checks.non_negative_int, (0,), 0),
    (checks.non_negative_int, (7,), 7),
    (checks.number, (-2.5,), -2.5),
    (checks.number, (3,), 3.0),
    (lambda name, v: checks.number(name, v, positive=True), (1e-9,), 1e-9),
    (lambda name, v: checks.number(name, v, non_negative=True), (0.0,), 0.0),
    (lambda name, v: checks.number(name, v, low=-1, high=1), (1,), 1.0),
    (checks.positive_number, (0.001,), 0.001),
    (checks.fraction, (0,), 0.0),
    (checks.fraction, (1.0,), 1.0),
    (lambda name, v: checks.choice(name, v, ["sgd", "adam"]), ("adam",), "adam"),
    (checks.tensor, ([[1.0, 2.0]],), torch.tensor([[1.0, 2.0]])),
    (
        lambda name, v: checks.tensor(name, v, dim=2, min_rows=2),
        (np.zeros((3, 2)),),
        torch.zeros(3, 2, dtype=torch.float64),
    ),
    (lambda name, v: checks.tensor(name, v, finite=False), (torch.tensor([math.inf]),), torch.tensor([math.inf])),
    (checks.labels, ([0, 2, 1],), torch.tensor([0, 2, 1])),
    (
        lambda name, v: checks.labels(name, v, n_classes=3),
        (torch.tensor([2, 0], dtype=torch.int32),),
        torch.tensor([2, 0]),
    ),
    (checks.class_ids, ([3, 1],), torch.tensor([3, 1])),
    (lambda name, v: checks.class_ids(name, v, n_classes=4), (np.array([0, 3]),), torch.tensor([0, 3])),
    (lambda name, v: checks.class_ids(name, v), (torch.tensor([5]),), torch.tensor([5])),
]


@pytest.mark.parametrize("check, args, expected", GOOD)
def test_good_values_pass_through(check, args, expected):
    out = check("x", *args)
    if isinstance(expected, torch.Tensor):
        assert isinstance(out, torch.Tensor) and out.dtype == expected.dtype and torch.equal(out, expected)
    else:
        assert out == expected and type(out) is type(expected)


def test_same_length_and_feature_pair_pass_good_values():
    assert checks.same_length(a=[1, 2], b=torch.zeros(2), c="xy") == 2
    source, target = checks.feature_pair(torch.zeros(3, 4), np.ones((5, 4)))
    assert source.shape == (3, 4) and target.shape == (5, 4)


BAD = [
    # (check, value, exception, message: the parameter is always named "my_param")
    (checks.positive_int, 0, ValueError, "my_param must be a positive integer, got 0"),
    (checks.positive_int, -3, ValueError, "my_param must be a positive integer"),
    (checks.positive_int, 2.0, ValueError, "my_param must be a positive integer, got 2.0"),
    (checks.positive_int, True, ValueError, "my_param must be a positive integer, got True"),
    (checks.positive_int, "5", ValueError, "my_param must be a positive integer, got '5'"),
    (checks.non_negative_int, -1, ValueError, "my_param must be an integer >= 0, got -1"),
    (checks.non_negative_int, 1.5, ValueError, "my_param must be an integer >= 0"),
    (checks.non_negative_int, False, ValueError, "my_param must be an integer >= 0"),
    (checks.number, float("nan"), ValueError, "my_param must be a finite number, got nan"),
    (checks.number, math.inf, ValueError, "my_param must be a finite number"),
    (checks.number, "1", ValueError, "my_param must be a finite number"),
    (checks.number, None, ValueError, "my_param must be a finite number"),
    (checks.number, True, ValueError, "my_param must be a finite number"),
    (lambda n, v: checks.number(n, v, positive=True), 0, ValueError, "my_param must be > 0, got 0"),
    (lambda n, v: checks.number(n, v, non_negative=True), -0.1, ValueError, "my_param must be >= 0"),
    (lambda n, v: checks.number(n, v, low=0, high=2), 2.5, ValueError, r"my_param must be in \[0, 2\]"),
    (checks.positive_number, -1e-3, ValueError, "my_param must be > 0"),
    (checks.positive_number, float("nan"), ValueError, "my_param must be a finite number"),
    (checks.fraction, 1.01, ValueError, r"my_param must be in \[0.0, 1.0\]"),
    (checks.fraction, -0.01, ValueError, r"my_param must be in \[0.0, 1.0\]"),
    (checks.fraction, 50, ValueError, r"my_param must be in \[0.0, 1.0\], got 50"),
    (
        lambda n, v: checks.choice(n, v, ["sgd", "adam"]),
        "Adam",
        ValueError,
        "my_param must be one of 'sgd', 'adam'; got 'Adam'",
    ),
    (checks.tensor, object(), TypeError, "my_param must be a tensor or array, got object"),
    (lambda n, v: checks.tensor(n, v, dim=2), torch.zeros(3), ValueError, r"my_param must be 2-D, got shape \(3,\)"),
    (
        lambda n, v: checks.tensor(n, v, min_rows=2),
        torch.zeros(1, 4),
        ValueError,
        "my_param needs at least 2 rows, got 1",
    ),
    (checks.tensor, torch.tensor([1.0, math.nan]), ValueError, "my_param contains NaN or infinite values"),
    (checks.tensor, np.array([math.inf]), ValueError, "my_param contains NaN or infinite values"),
    (checks.labels, torch.tensor([0.0, 1.0]), ValueError, "my_param must be integer class ids, got dtype"),
    (checks.labels, torch.tensor([True, False]), ValueError, "my_param must be integer class ids"),
    (checks.labels, torch.zeros(2, 2, dtype=torch.long), ValueError, "my_param must be 1-D"),
    (checks.labels, [0, -1], ValueError, r"my_param must be >= 0, got values in \[-1, 0\]"),
    (
        lambda n, v: checks.labels(n, v, n_classes=3),
        [0, 3],
        ValueError,
        r"my_param must be >= 0 and < 3, got values in \[0, 3\]",
    ),
    (checks.class_ids, 3, TypeError, "my_param must be a list of class ids, got 3"),
    (checks.class_ids, np.int64(3), TypeError, "my_param must be a list of class ids"),
    (checks.class_ids, [], ValueError, "my_param is empty"),
    (checks.class_ids, [0.5, 1.0], TypeError, "my_param must hold integer class ids"),
    (checks.class_ids, [2, 2], ValueError, r"my_param lists a class more than once: \[2, 2\]"),
    (checks.class_ids, [-1], ValueError, r"my_param must be class ids in non-negative"),
    (lambda n, v: checks.class_ids(n, v, n_classes=4), [1, 4], ValueError, r"my_param must be class ids in \[0, 4\)"),
    (
        lambda n, v: checks.same_length(my_param=v, other=[1, 2]),
        [1],
        ValueError,
        "my_param and other must have the same length, got my_param: 1, other: 2",
    ),
]


@pytest.mark.parametrize("check, value, error, message", BAD, ids=[m[:48] for *_, m in BAD])
def test_bad_values_raise_naming_the_parameter(check, value, error, message):
    with pytest.raises(error, match=message):
        check("my_param", value)


@pytest.mark.parametrize(
    "source, target, message",
    [
        (torch.zeros(3, 4), torch.zeros(3, 5), r"source and target have different widths \(4 vs 5\)"),
        (torch.zeros(3), torch.zeros(3, 4), "source must be 2-D"),
        (torch.zeros(3, 4), torch.full((2, 4), math.nan), "target contains NaN"),
        (torch.zeros(0, 4), torch.zeros(2, 4), "source needs at least 1 rows"),
    ],
)
def test_feature_pair_rejects_bad_pairs(source, target, message):
    with pytest.raises(ValueError, match=message):
        checks.feature_pair(source, target)
