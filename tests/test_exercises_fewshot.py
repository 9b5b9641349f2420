"""The few-shot exercise checker (notebook 05) accepts the solution and rejects wrong answers."""

import torch
import torch.nn.functional as F

from tlearn import exercises


def solution(query, prototypes, scale):  # the notebook's collapsed solution
    return scale * F.normalize(query, dim=1) @ F.normalize(prototypes, dim=1).T


def test_accepts_the_solution(capsys):
    assert exercises.check_fewshot_cosine_logits(solution)
    assert capsys.readouterr().out.startswith("Correct")


def test_accepts_an_equivalent_formulation():
    def with_cosine_similarity(query, prototypes, scale):
        return scale * F.cosine_similarity(query[:, None], prototypes[None], dim=-1)

    assert exercises.check_fewshot_cosine_logits(with_cosine_similarity, verbose=False)


def test_reference_is_tlearns_prototypical_head():
    query, prototypes = torch.randn(7, 4), torch.randn(3, 4)
    assert torch.allclose(exercises.fewshot_cosine_logits_reference(query, prototypes, 5.0),
                          solution(query, prototypes, 5.0), atol=1e-5)


WRONG = {
    "no scale": lambda q, c, s: F.normalize(q, dim=1) @ F.normalize(c, dim=1).T,
    "prototypes not normalised": lambda q, c, s: s * F.normalize(q, dim=1) @ c.T,
    "dot product": lambda q, c, s: s * q @ c.T,
    "squared Euclidean": lambda q, c, s: -s * torch.cdist(q, c) ** 2,
    "transposed": lambda q, c, s: (s * F.normalize(q, dim=1) @ F.normalize(c, dim=1).T).T,
    "not a tensor": lambda q, c, s: (s * F.normalize(q, dim=1) @ F.normalize(c, dim=1).T).tolist(),
    "raises": lambda q, c, s: 1 / 0,
    "left undone": lambda q, c, s: None,
}


def test_rejects_wrong_answers(capsys):
    for name, wrong in WRONG.items():
        assert not exercises.check_fewshot_cosine_logits(wrong), name
        assert capsys.readouterr().out.startswith("Not yet"), name
