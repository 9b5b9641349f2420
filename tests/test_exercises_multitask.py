"""The multi-task exercise checker (notebook 04) accepts the solution and rejects wrong answers."""

import pytest
import torch

from tlearn import exercises_multitask as ex


def solution(previous, before, temperature=2.0):  # the notebook's collapsed solution
    w = previous / before
    return len(w) * torch.exp(w / temperature) / torch.exp(w / temperature).sum()


def test_accepts_the_solution(capsys):
    assert ex.check_dynamic_weight_average(solution)
    assert capsys.readouterr().out.startswith("Correct")


def test_reference_matches_the_paper_by_hand():
    previous, before = torch.tensor([1.0, 2.0]), torch.tensor([2.0, 2.0])  # w = (0.5, 1)
    e = torch.exp(torch.tensor([0.25, 0.5]))
    assert torch.allclose(ex.dynamic_weight_average_reference(previous, before, 2.0), 2 * e / e.sum())
    # equal ratios give equal weights of 1, and a slowly falling loss gets the larger weight
    assert torch.allclose(ex.dynamic_weight_average_reference(torch.ones(3), torch.ones(3)), torch.ones(3))
    w = ex.dynamic_weight_average_reference(torch.tensor([0.5, 0.9]), torch.ones(2))
    assert w[1] > w[0]


WRONG = {
    "inverted ratio": lambda p, b, T: len(p) * torch.softmax((b / p) / T, 0),
    "no temperature": lambda p, b, T: len(p) * torch.softmax(p / b, 0),
    "not times K": lambda p, b, T: torch.softmax((p / b) / T, 0),
    "temperature outside": lambda p, b, T: len(p) * torch.softmax(p / b, 0) / T,
    "equal weights": lambda p, b, T: torch.ones(len(p)),
    "not a tensor": lambda p, b, T: solution(p, b, T).tolist(),
    "raises": lambda p, b, T: 1 / 0,
    "left undone": lambda p, b, T: None,
}


@pytest.mark.parametrize("name", list(WRONG))
def test_rejects_a_wrong_answer(name, capsys):
    assert not ex.check_dynamic_weight_average(WRONG[name])
    assert capsys.readouterr().out.startswith("Not yet")
