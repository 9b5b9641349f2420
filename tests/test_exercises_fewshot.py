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
    assert torch.allclose(
        exercises.fewshot_cosine_logits_reference(query, prototypes, 5.0), solution(query, prototypes, 5.0), atol=1e-5
    )


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


# notebook 08: rotations as new classes


def rotations_solution(images, labels):  # the notebook's collapsed solution
    n_classes = int(labels.max()) + 1
    rotated = [torch.rot90(images, r, dims=(-2, -1)) for r in range(4)]
    return torch.cat(rotated), torch.cat([labels + r * n_classes for r in range(4)])


def test_rotations_checker_accepts_the_solution_in_any_order(capsys):
    assert exercises.check_rotated_classes(rotations_solution)
    assert capsys.readouterr().out.startswith("Correct")

    def shuffled(images, labels):
        x, y = rotations_solution(images, labels)
        order = torch.randperm(len(y), generator=torch.Generator().manual_seed(1))
        return x[order], y[order]

    assert exercises.check_rotated_classes(shuffled, verbose=False)


ROTATIONS_WRONG = {
    "labels not shifted": lambda x, y: (rotations_solution(x, y)[0], y.repeat(4)),
    "shifted by one": lambda x, y: (rotations_solution(x, y)[0], torch.cat([y + r for r in range(4)])),
    "not rotated": lambda x, y: (x.repeat(4, 1, 1, 1), rotations_solution(x, y)[1]),
    "wrong axes": lambda x, y: (
        torch.cat([torch.rot90(x, r, dims=(0, 1)) if r % 2 == 0 else x.transpose(-1, -2) for r in range(4)]),
        rotations_solution(x, y)[1],
    ),
    "only the rotations": lambda x, y: tuple(t[len(y) :] for t in rotations_solution(x, y)),
    "left undone": lambda x, y: None,
}


def test_rotations_checker_rejects_wrong_answers(capsys):
    for name, wrong in ROTATIONS_WRONG.items():
        assert not exercises.check_rotated_classes(wrong), name
        assert capsys.readouterr().out.startswith("Not yet"), name
