"""The checkers of notebooks 01 and 02's implementation exercises accept the solution and reject wrong answers."""

import torch

from tlearn.exercises_transfer import check_layerwise_groups, check_nearest_class_mean


def layerwise_solution(model, lr, head_mult, decay):  # the solution printed in notebook 01
    blocks = list(model.backbone.blocks)
    groups = [{"params": list(b.parameters()), "lr": lr * decay ** (len(blocks) - 1 - i)} for i, b in enumerate(blocks)]
    return groups + [{"params": list(model.head.parameters()), "lr": head_mult * lr}]


def test_layerwise_checker_accepts_the_solution():
    assert check_layerwise_groups(layerwise_solution, verbose=False)


def test_layerwise_checker_rejects_wrong_answers(capsys):
    def upside_down(model, lr, head_mult, decay):  # the decay applied from the top instead of the bottom
        blocks = list(model.backbone.blocks)
        return [{"params": list(b.parameters()), "lr": lr * decay**i} for i, b in enumerate(blocks)] + [
            {"params": list(model.head.parameters()), "lr": head_mult * lr}
        ]

    def no_head(model, lr, head_mult, decay):
        return layerwise_solution(model, lr, head_mult, decay)[:-1]

    def twice(model, lr, head_mult, decay):
        groups = layerwise_solution(model, lr, head_mult, decay)
        return groups + [{"params": list(model.head.parameters()), "lr": lr}]

    def raises(model, lr, head_mult, decay):
        raise NotImplementedError("write me")

    for wrong in [upside_down, no_head, twice, raises]:
        assert not check_layerwise_groups(wrong), wrong.__name__
    assert "Not yet" in capsys.readouterr().out


def ncm_solution(train_features, train_labels, test_features):  # the solution printed in notebook 02
    means = torch.stack([train_features[train_labels == c].mean(0) for c in range(int(train_labels.max()) + 1)])
    return torch.cdist(test_features, means).argmin(1)


def test_nearest_class_mean_checker_accepts_the_solution(capsys):
    assert check_nearest_class_mean(ncm_solution)
    assert "Correct" in capsys.readouterr().out


def test_nearest_class_mean_checker_rejects_wrong_answers():
    def nearest_neighbour(train_features, train_labels, test_features):  # one example, not the class mean
        return train_labels[torch.cdist(test_features, train_features).argmin(1)]

    def mean_over_features(train_features, train_labels, test_features):  # averaged over the wrong axis
        means = torch.stack(
            [
                train_features[train_labels == c].mean(1).mean() * torch.ones(train_features.shape[1])
                for c in range(int(train_labels.max()) + 1)
            ]
        )
        return torch.cdist(test_features, means).argmin(1)

    def a_list(train_features, train_labels, test_features):
        return ncm_solution(train_features, train_labels, test_features).tolist()

    for wrong in [nearest_neighbour, mean_over_features, a_list]:
        assert not check_nearest_class_mean(wrong, verbose=False), wrong.__name__
