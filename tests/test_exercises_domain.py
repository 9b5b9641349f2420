"""The domain-adaptation exercise checkers accept the notebooks' solutions and reject wrong answers."""

import torch

from tlearn.exercises_domain import check_linear_mmd, check_log_coral


def linear_mmd_solution(x, y, sigma):  # the solution shown in notebook 03a
    b = min(len(x), len(y)) // 2
    x1, x2, y1, y2 = x[0 : 2 * b : 2], x[1 : 2 * b : 2], y[0 : 2 * b : 2], y[1 : 2 * b : 2]

    def k(a, c):
        return torch.exp(-(a - c).pow(2).sum(1) / (2 * sigma**2))

    return (k(x1, x2) + k(y1, y2) - k(x1, y2) - k(x2, y1)).mean()


def log_coral_solution(source, target, eps):  # the solution shown in notebook 03b
    def log_cov(x):
        c = torch.cov(x.T) + eps * torch.eye(x.shape[1], dtype=x.dtype)
        s, u = torch.linalg.eigh(c)
        return u @ torch.diag(s.log()) @ u.T

    d = source.shape[1]
    return (log_cov(source) - log_cov(target)).pow(2).sum() / (4 * d * d)


def test_linear_mmd_checker_accepts_the_solution(capsys):
    assert check_linear_mmd(linear_mmd_solution)
    assert "Correct" in capsys.readouterr().out


def test_linear_mmd_checker_rejects_wrong_answers(capsys):
    def wrong_pairs(x, y, sigma):  # k(x1, y1) instead of k(x1, y2): not the paper's h
        b = min(len(x), len(y)) // 2
        x1, x2, y1, y2 = x[0 : 2 * b : 2], x[1 : 2 * b : 2], y[0 : 2 * b : 2], y[1 : 2 * b : 2]
        k = lambda a, c: torch.exp(-(a - c).pow(2).sum(1) / (2 * sigma**2))  # noqa: E731
        return (k(x1, x2) + k(y1, y2) - k(x1, y1) - k(x2, y2)).mean()

    def no_half(x, y, sigma):  # exp(-d^2 / sigma^2): the wrong bandwidth convention
        return linear_mmd_solution(x, y, sigma / 2**0.5)

    def raises(x, y, sigma):
        raise RuntimeError("not written yet")

    for wrong in (wrong_pairs, no_half, raises, lambda x, y, s: 0.0):
        assert not check_linear_mmd(wrong)
    assert "Not yet" in capsys.readouterr().out


def test_log_coral_checker_accepts_the_solution_and_rejects_plain_coral(capsys):
    from tlearn.domain import coral

    assert check_log_coral(log_coral_solution)
    assert not check_log_coral(lambda s, t, eps: coral(s, t))
    assert not check_log_coral(lambda s, t, eps: log_coral_solution(s, t, eps) * 4)  # forgot 1/4 of 1/(4 d^2)
    out = capsys.readouterr().out
    assert "Correct" in out and "Not yet" in out
