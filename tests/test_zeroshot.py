"""Oracle tests for tlearn.zeroshot: closed forms against direct solves, DAP against hand-worked numbers,
metrics against their definitions, and one parametrized table of bad inputs."""

import copy
import math

import numpy as np
import pytest
import torch

from tlearn import zeroshot as zs


def _toy_world(n_classes=12, n_attributes=8, n_per_class=30, noise=0.3, seed=0):
    """Features that are a fixed linear image of the class's binary description, plus noise."""
    g = torch.Generator().manual_seed(seed)
    while True:  # distinct descriptions, so every class is recognisable from its description
        attrs = (torch.rand(n_classes, n_attributes, generator=g) < 0.5).float()
        if len(torch.unique(attrs, dim=0)) == n_classes:
            break
    mixing = torch.randn(n_attributes, 20, generator=g)
    labels = torch.arange(n_classes).repeat_interleave(n_per_class)
    features = attrs[labels] @ mixing + noise * torch.randn(len(labels), 20, generator=g)
    return features, labels, attrs


# --- descriptions -----------------------------------------------------------------------------------------
def test_digit_table_is_binary_and_tells_every_digit_apart():
    table, names = zs.digit_attributes()
    assert table.shape == (10, len(names)) == (10, len(zs.DIGIT_ATTRIBUTE_NAMES))
    assert set(table.unique().tolist()) == {0.0, 1.0}
    assert len(torch.unique(table, dim=0)) == 10
    # every attribute is said of some digits and not of others, so it carries information
    assert ((table.sum(0) > 0) & (table.sum(0) < 10)).all()


def test_parse_description_names_and_numbers():
    names = ["loop", "bar", "curve"]
    assert zs.parse_description("Loop, curve", names).tolist() == [1.0, 0.0, 1.0]
    assert zs.parse_description("bar;", names).tolist() == [0.0, 1.0, 0.0]
    assert zs.parse_description("0 1 0.5", names).tolist() == [0.0, 1.0, 0.5]


# --- ESZSL ------------------------------------------------------------------------------------------------
def _eszsl_problem(seed=0, m=25, d=6, z=4, a=5):
    g = torch.Generator().manual_seed(seed)
    Xt = torch.randn(m, d, generator=g, dtype=torch.float64)
    labels = torch.randint(0, z, (m,), generator=g)
    Y = 2 * torch.nn.functional.one_hot(labels, z).double() - 1
    St = torch.randn(z, a, generator=g, dtype=torch.float64)
    return Xt, Y, St


@pytest.mark.parametrize("gamma,lam", [(1.0, 1.0), (0.1, 3.0), (5.0, 0.01)])
def test_eszsl_closed_form_solves_its_normal_equations(gamma, lam):
    """Setting the objective's gradient to zero gives (XX^T + gI) V (SS^T + lI) = X Y S^T; solve that
    linear system directly through vec(A V B) = (A kron B^T) vec(V) (row-major vec) and compare."""
    Xt, Y, St = _eszsl_problem()
    X, S = Xt.T, St.T
    A = X @ X.T + gamma * torch.eye(X.shape[0], dtype=X.dtype)
    B = S @ S.T + lam * torch.eye(S.shape[0], dtype=S.dtype)
    rhs = X @ Y @ S.T
    direct = torch.linalg.solve(torch.kron(A, B.T.contiguous()), rhs.reshape(-1)).reshape(rhs.shape)
    V = zs.eszsl_weights(Xt, Y, St, gamma, lam).double()
    torch.testing.assert_close(V, direct, rtol=1e-4, atol=1e-5)


def test_eszsl_closed_form_is_a_stationary_point_of_its_objective():
    gamma, lam = 0.7, 0.4
    Xt, Y, St = _eszsl_problem(seed=1)
    V = zs.eszsl_weights(Xt, Y, St, gamma, lam).double().requires_grad_(True)
    X, S = Xt.T, St.T
    objective = (
        ((X.T @ V @ S - Y) ** 2).sum()
        + gamma * ((V @ S) ** 2).sum()
        + lam * ((X.T @ V) ** 2).sum()
        + gamma * lam * (V**2).sum()
    )
    (grad,) = torch.autograd.grad(objective, V)
    assert grad.abs().max() < 1e-3 * (1 + objective.item())


def test_eszsl_model_uses_only_seen_descriptions_and_scores_bilinearly():
    features, labels, attrs = _toy_world()
    seen = labels < 8
    model = zs.ESZSL(gamma=1.0, lam=1.0).fit(features[seen], labels[seen], attrs)
    Y = 2 * torch.nn.functional.one_hot(labels[seen], 8).float() - 1
    torch.testing.assert_close(model.V, zs.eszsl_weights(features[seen], Y, attrs[:8], 1.0, 1.0))
    # unseen descriptions do not change the fit: replace them by noise and refit
    other = attrs.clone()
    other[8:] = torch.rand(4, attrs.shape[1])
    torch.testing.assert_close(zs.ESZSL().fit(features[seen], labels[seen], other).V, model.V)
    torch.testing.assert_close(model.scores(features[:5], attrs), features[:5] @ model.V @ attrs.T)


# --- DAP --------------------------------------------------------------------------------------------------
def test_dap_scores_match_a_hand_worked_example():
    """p(a|x) = (0.9, 0.2). Class A = (1, 0): 0.9 * 0.8 = 0.72; class B = (0, 1): 0.1 * 0.2 = 0.02.
    Uniform prior divides both by 0.5 * 0.5 = 0.25: 2.88 and 0.08. With prior p(a=1) = (0.8, 0.5),
    class A is divided by 0.8 * 0.5 = 0.4 (1.8) and class B by 0.2 * 0.5 = 0.1 (0.2)."""
    probs = torch.tensor([[0.9, 0.2]])
    classes = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    uniform = zs.dap_scores(probs, classes).exp()
    torch.testing.assert_close(uniform, torch.tensor([[2.88, 0.08]]))
    skewed = zs.dap_scores(probs, classes, attribute_prior=torch.tensor([0.8, 0.5])).exp()
    torch.testing.assert_close(skewed, torch.tensor([[1.8, 0.2]]))


def test_dap_scores_clip_certain_probabilities():
    scores = zs.dap_scores(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 0.0], [1.0, 0.0]]), eps=0.01)
    assert torch.isfinite(scores).all()
    torch.testing.assert_close(scores[0, 0], torch.tensor(math.log(0.01 / 0.5) + math.log(0.99 / 0.5)))


def test_dap_prior_and_thresholds_come_from_seen_classes():
    features, labels, attrs = _toy_world()
    seen = labels < 8
    model = zs.DAP().fit(features[seen], labels[seen], attrs)
    torch.testing.assert_close(model.prior, attrs[:8].mean(0))
    counts = attrs * 3.0  # non-binary descriptions are thresholded at their mean over seen classes
    model_counts = zs.DAP().fit(features[seen], labels[seen], counts)
    torch.testing.assert_close(model_counts.thresholds, counts[:8].mean(0))
    assert torch.equal(model_counts.binarize(counts), (counts > counts[:8].mean(0)).float())


def test_dap_handles_an_attribute_constant_over_seen_classes():
    features, labels, attrs = _toy_world()
    attrs[:8, 0] = 1.0
    seen = labels < 8
    model = zs.DAP().fit(features[seen], labels[seen], attrs)
    probs = model.predict_attributes(features[~seen])
    assert torch.all(probs[:, 0] == 1.0)
    assert torch.isfinite(model.scores(features[~seen], attrs)).all()


# --- every model recognises unseen classes when features encode the attributes ---------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda f, y, a: zs.DAP().fit(f, y, a),
        lambda f, y, a: zs.ESZSL(gamma=1.0, lam=1.0).fit(f, y, a),
        lambda f, y, a: _fitted_proto(f, y, a),
    ],
    ids=["dap", "eszsl", "prototypical"],
)
def test_models_transfer_to_unseen_classes_in_a_linear_world(make):
    features, labels, attrs = _toy_world(n_classes=16, noise=0.2)
    unseen = torch.arange(12, 16)
    is_seen = ~torch.isin(labels, unseen)
    model = make(features[is_seen], labels[is_seen], attrs)
    accuracy = zs.zero_shot_accuracy(model.scores(features[~is_seen], attrs), labels[~is_seen], unseen)
    assert accuracy > 0.6  # chance is 0.25


def _fitted_proto(features, labels, attrs):
    model = zs.PrototypicalZeroShot(features.shape[1], attrs.shape[1], embedding_dim=16)
    model.fit(features, labels, attrs, epochs=60, lr=1e-2, seed=0)
    return model


def test_prototypes_have_unit_length_and_logits_are_negative_squared_distances():
    model = zs.PrototypicalZeroShot(5, 3, embedding_dim=4, hidden=8)
    attrs, x = torch.rand(6, 3), torch.randn(7, 5)
    protos = model.prototypes(attrs)
    torch.testing.assert_close(protos.norm(dim=1), torch.ones(6))
    emb = model.image_encoder(x)
    brute = torch.stack([torch.stack([-((emb[i] - protos[c]) ** 2).sum() for c in range(6)]) for i in range(7)])
    torch.testing.assert_close(model.scores(x, attrs), brute.detach(), rtol=1e-4, atol=1e-4)


def test_prototypical_training_is_deterministic_for_a_seed():
    features, labels, attrs = _toy_world()
    runs = []
    for _ in range(2):
        torch.manual_seed(123)  # same initial weights
        model = zs.PrototypicalZeroShot(20, 8, embedding_dim=8, dropout=0.1)
        history = model.fit(features, labels, attrs, epochs=3, seed=5)
        assert len(history.epoch_loss) == 3 and history.steps == 3 * history.steps_per_epoch
        runs.append((history["loss"], model.scores(features[:4], attrs)))
    assert runs[0][0] == runs[1][0]
    torch.testing.assert_close(runs[0][1], runs[1][1])


def test_prototypical_fit_equals_a_plain_torch_loop():
    """The wrapper around tlearn.train.fit trains exactly as the loop written out by hand: shuffled passes,
    cross-entropy over the seen classes, Adam with weight decay; the per-epoch loss is averaged over images."""
    features, labels, attrs = _toy_world(n_classes=6, n_per_class=25)
    torch.manual_seed(3)
    model = zs.PrototypicalZeroShot(20, 8, embedding_dim=8)
    by_hand = copy.deepcopy(model)
    history = model.fit(features, labels, attrs, epochs=2, lr=1e-2, batch_size=32, seed=7, device="cpu")
    assert not model.training

    g = torch.Generator().manual_seed(7)
    optimizer = torch.optim.Adam(by_hand.parameters(), lr=1e-2, weight_decay=1e-4)
    epoch_loss = []
    for _ in range(2):
        order, total = torch.randperm(len(features), generator=g), 0.0
        for start in range(0, len(features), 32):
            batch = order[start : start + 32]
            loss = torch.nn.functional.cross_entropy(by_hand(features[batch], attrs), labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        epoch_loss.append(total / len(features))
    assert history.epoch_loss == pytest.approx(epoch_loss, rel=1e-5)
    torch.testing.assert_close(model.scores(features, attrs), by_hand.eval()(features, attrs).detach())


# --- metrics against their definitions ---------------------------------------------------------------------
@pytest.mark.parametrize("a,b", [(0.8, 0.2), (0.5, 0.5), (1.0, 0.1), (0.3, 0.0)])
def test_harmonic_mean_is_the_reciprocal_of_the_mean_reciprocal(a, b):
    expected = 0.0 if min(a, b) == 0 else 1.0 / ((1.0 / a + 1.0 / b) / 2)
    assert zs.harmonic_mean(a, b) == pytest.approx(expected)
    assert zs.harmonic_mean(a, b) <= (a + b) / 2 + 1e-12


def test_harmonic_mean_of_two_zeros_is_zero():
    assert zs.harmonic_mean(0.0, 0.0) == 0.0


def test_per_class_accuracy_weights_classes_equally():
    # class 0: 3 of 4 right, class 1: 0 of 1 right -> (0.75 + 0) / 2, not 3 / 5
    assert zs.per_class_accuracy([0, 0, 0, 1, 0], [0, 0, 0, 0, 1]) == pytest.approx(0.375)


def _random_scores(n=60, c=7, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, c, generator=g), torch.randint(0, c, (n,), generator=g)


def _brute_per_class(pred, true):
    accs = []
    for c in sorted(set(true)):
        idx = [i for i, t in enumerate(true) if t == c]
        accs.append(sum(pred[i] == c for i in idx) / len(idx))
    return sum(accs) / len(accs)


def test_zero_shot_accuracy_matches_a_loop_over_images():
    scores, _ = _random_scores()
    unseen = [1, 4, 6]
    targets = torch.tensor(unseen)[torch.randint(0, 3, (60,), generator=torch.Generator().manual_seed(1))]
    pred = [max(unseen, key=lambda c: float(scores[i, c])) for i in range(60)]
    assert zs.zero_shot_accuracy(scores, targets, unseen) == pytest.approx(_brute_per_class(pred, targets.tolist()))


def test_generalized_accuracy_matches_a_loop_over_images():
    scores, targets = _random_scores(c=7)
    seen, unseen, gamma = [0, 2, 3, 5], [1, 4, 6], 0.4
    pred = [max(range(7), key=lambda c: float(scores[i, c]) - (gamma if c in seen else 0.0)) for i in range(60)]
    t = targets.tolist()
    s_idx = [i for i in range(60) if t[i] in seen]
    u_idx = [i for i in range(60) if t[i] in unseen]
    acc_s = _brute_per_class([pred[i] for i in s_idx], [t[i] for i in s_idx])
    acc_u = _brute_per_class([pred[i] for i in u_idx], [t[i] for i in u_idx])
    out = zs.generalized_accuracy(scores, targets, seen, unseen, calibration=gamma)
    assert out["seen"] == pytest.approx(acc_s)
    assert out["unseen"] == pytest.approx(acc_u)
    assert out["harmonic"] == pytest.approx(2 * acc_s * acc_u / (acc_s + acc_u))
    assert out["unseen_as_seen"] == pytest.approx(sum(pred[i] in seen for i in u_idx) / len(u_idx))


def test_stacking_curve_runs_from_all_seen_to_all_unseen():
    scores, targets = _random_scores(n=200, c=7, seed=3)
    seen, unseen = [0, 2, 3, 5], [1, 4, 6]
    curve = zs.stacking_curve(scores, targets, seen, unseen)
    u = torch.isin(targets, torch.tensor(unseen))
    assert curve["unseen"][0] == 0.0 and curve["seen"][-1] == 0.0
    assert curve["unseen"][-1] == pytest.approx(zs.zero_shot_accuracy(scores[u], targets[u], unseen))
    seen_only = zs.zero_shot_accuracy(scores[~u], targets[~u], seen)  # only seen classes compete
    assert curve["seen"][0] == pytest.approx(seen_only)
    # raising the constant never helps seen classes nor hurts unseen ones
    assert np.all(np.diff(curve["seen"]) <= 1e-9) and np.all(np.diff(curve["unseen"]) >= -1e-9)
    best = zs.generalized_accuracy(scores, targets, seen, unseen, curve["best"])["harmonic"]
    assert best == pytest.approx(curve["harmonic"].max())
    assert 0.0 < curve["auc"] <= seen_only * curve["unseen"][-1] + 1e-9


def test_calibrated_stacking_subtracts_from_seen_columns_only():
    scores = torch.zeros(2, 4)
    out = zs.calibrated_stacking(scores, [1, 3], 2.5)
    assert out.tolist() == [[0.0, -2.5, 0.0, -2.5]] * 2
    assert scores.abs().sum() == 0  # the input is not modified


def test_confusion_matrix_counts_and_rows_sum_to_one():
    scores, targets = _random_scores(n=80, c=5, seed=4)
    classes = [0, 1, 2, 3, 4]
    conf = zs.confusion_matrix(scores, targets, classes)
    pred = scores.argmax(1)
    for i in classes:
        for j in classes:
            rows = targets == i
            assert conf[i, j] == pytest.approx(float((pred[rows] == j).float().mean()))
    torch.testing.assert_close(conf.sum(1), torch.ones(5))


def test_split_classes_is_a_deterministic_partition():
    seen, unseen = zs.split_classes(20, 5, seed=3)
    assert len(unseen) == 5 and len(seen) == 15
    assert sorted(seen.tolist() + unseen.tolist()) == list(range(20))
    again = zs.split_classes(20, 5, seed=3)
    assert torch.equal(seen, again[0]) and torch.equal(unseen, again[1])
    assert not torch.equal(unseen, zs.split_classes(20, 5, seed=4)[1])


def test_standardize_uses_training_statistics():
    train, test = torch.randn(50, 3) * 4 + 2, torch.randn(10, 3)
    tr, te = zs.standardize(train, test)
    torch.testing.assert_close(tr.mean(0), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(te, (test - train.mean(0)) / train.std(0))


def test_one_shot_reference_matches_a_loop_over_images():
    features, labels, _ = _toy_world(n_classes=5, n_per_class=6, noise=1.0, seed=2)
    from tlearn.features import per_class_indices

    want = []
    for d in range(3):
        support = per_class_indices(labels, 1, seed=7 + d)  # the draw of the labelled image per class
        assert torch.bincount(labels[support]).tolist() == [1] * 5
        per_class = []
        for c in range(5):
            hits = [
                int(labels[support[torch.cdist(features[i : i + 1], features[support]).argmin()]] == c)
                for i in torch.nonzero(labels == c).flatten().tolist()
                if i not in support.tolist()
            ]
            per_class.append(sum(hits) / len(hits))
        want.append(sum(per_class) / 5)
    assert zs.one_shot_reference(features, labels, draws=3, seed=7) == pytest.approx(sum(want) / 3)


def test_select_eszsl_holds_each_group_out_in_turn():
    features, labels, attrs = _toy_world(n_classes=12, n_per_class=10, noise=1.0, seed=4)
    groups = labels // 4  # three groups of four classes
    grid = [(0.1, 0.1), (10.0, 1.0), (1000.0, 1000.0)]
    chosen, score = zs.select_eszsl(features, labels, groups, attrs, [0, 2], grid)
    assert set(score) == set(grid) and chosen == max(score, key=score.get)
    gamma, lam = grid[1]
    want = []
    for v in (0, 2):
        held = groups == v
        x_fit, x_val = zs.standardize(features[~held], features[held])
        model = zs.ESZSL(gamma, lam).fit(x_fit, labels[~held], attrs)
        want.append(zs.zero_shot_accuracy(model.scores(x_val, attrs), labels[held], torch.arange(4 * v, 4 * v + 4)))
    assert score[gamma, lam] == pytest.approx(sum(want) / 2)
    with pytest.raises(ValueError, match="validation group 5 must hold some images"):
        zs.select_eszsl(features, labels, groups, attrs, [5], grid)


# --- bad input: one table ----------------------------------------------------------------------------------
def _fitted(kind):
    features, labels, attrs = _toy_world()
    if kind == "eszsl":
        return zs.ESZSL().fit(features, labels, attrs)
    if kind == "dap":
        return zs.DAP().fit(features, labels, attrs)
    return zs.PrototypicalZeroShot(20, 8)


def _world_with(**changes):
    features, labels, attrs = _toy_world()
    world = {"features": features, "labels": labels, "class_attributes": attrs}
    for key, change in changes.items():
        world[key] = change(world[key])
    return world


def _nan_at(x):
    x = x.clone()
    x[3, 2] = float("nan")
    return x


_ONE_CLASS = _toy_world()[1] == 0
BAD_INPUTS = [
    # (call, exception, message)
    (lambda: zs.parse_description("loop, tail", ["loop", "bar"]), ValueError, "unknown attribute 'tail'"),
    (lambda: zs.parse_description("1 0 1", ["loop", "bar"]), ValueError, "3 numbers but a description has 2"),
    (lambda: zs.parse_description("  ", ["loop", "bar"]), ValueError, "text is empty"),
    (lambda: zs.parse_description(3, ["loop"]), TypeError, "text must be a string"),
    (lambda: zs.harmonic_mean(80.0, 0.5), ValueError, r"seen_accuracy must be in \[0.0, 1.0\]"),
    (lambda: zs.harmonic_mean(0.5, -0.1), ValueError, "unseen_accuracy must be in"),
    (lambda: zs.per_class_accuracy([0, 1], [0, 1, 1]), ValueError, "predictions and targets must have the same"),
    (lambda: zs.per_class_accuracy([], []), ValueError, "targets is empty"),
    (
        lambda: _fitted("eszsl").scores(torch.randn(4, 20), torch.rand(3, 7)),
        ValueError,
        "7 attributes per class but the model was fitted with 8",
    ),
    (
        lambda: _fitted("dap").scores(torch.randn(4, 20), torch.rand(3, 9).round()),
        ValueError,
        "9 attributes per class but the model was fitted with 8",
    ),
    (lambda: _fitted("proto").scores(torch.randn(4, 20), torch.rand(3, 5)), ValueError, "5 attributes per class"),
    (lambda: _fitted("eszsl").scores(torch.randn(4, 19), torch.rand(3, 8)), ValueError, "features has 19 columns"),
    (lambda: _fitted("dap").predict_attributes(torch.randn(4, 21)), ValueError, "features has 21 columns"),
    (
        lambda: zs.dap_scores(torch.rand(4, 2), torch.rand(5, 3)),
        ValueError,
        "class_attributes has 3 attributes per class but attribute_probs has 2",
    ),
    (
        lambda: zs.dap_scores(torch.rand(4, 2), torch.tensor([[2.0, 0.0]])),
        ValueError,
        r"class_attributes must lie in \[0, 1\]",
    ),
    (lambda: zs.dap_scores(torch.rand(4, 2), torch.rand(3, 2), eps=0.7), ValueError, r"eps must lie in \(0, 0.5\)"),
    (
        lambda: zs.dap_scores(torch.rand(4, 2), torch.rand(3, 2), attribute_prior=[0.5]),
        ValueError,
        r"attribute_prior must have shape \[2\]",
    ),
    (lambda: zs.check_split([0, 1, 3], [2, 3]), ValueError, r"classes \[3\] are both seen and unseen"),
    (lambda: zs.generalized_accuracy(*_random_scores(c=4), [0, 1, 2], [2, 3]), ValueError, "both seen and unseen"),
    (lambda: zs.check_split([], [1, 2]), ValueError, "seen is empty"),
    (lambda: zs.check_split([0, 1], []), ValueError, "unseen is empty"),
    (lambda: zs.check_split(3, [1]), TypeError, "seen must be a list of class ids"),
    (lambda: zs.check_split([0.5], [1]), TypeError, "seen must hold integer class ids"),
    (lambda: zs.zero_shot_accuracy(*_random_scores(c=4), []), ValueError, "unseen is empty"),
    (lambda: zs.check_split([0, 1], [7], n_classes=5), ValueError, r"unseen must be class ids in \[0, 5\)"),
    (lambda: zs.check_split([0, 0, 1], [2]), ValueError, "lists a class more than once"),
    (
        lambda: zs.zero_shot_accuracy(torch.randn(3, 4), torch.tensor([0, 2, 3]), [2, 3]),
        ValueError,
        r"targets contain classes \[0\] that are not in unseen",
    ),
    (lambda: zs.zero_shot_accuracy(torch.randn(3), torch.tensor([0, 2, 3]), [2, 3]), ValueError, "scores must be 2-D"),
    (
        lambda: zs.zero_shot_accuracy(torch.randn(3, 4), torch.tensor([0, 2]), [2, 3]),
        ValueError,
        "targets has 2 entries but there are 3 rows",
    ),
    (
        lambda: zs.generalized_accuracy(torch.randn(4, 4), torch.tensor([0, 1, 0, 1]), [0, 1], [2, 3]),
        ValueError,
        "needs test images of both seen and unseen classes",
    ),
    (
        lambda: zs.generalized_accuracy(torch.randn(3, 5), torch.tensor([0, 2, 4]), [0, 1], [2, 3]),
        ValueError,
        r"targets contain classes \[4\] that are neither seen nor unseen",
    ),
    (lambda: zs.stacking_curve(*_random_scores(c=4), [0, 1], [2, 3], n_points=1), ValueError, "n_points must be"),
    (
        lambda: zs.stacking_curve(*_random_scores(c=4), [0, 1], [2, 3], calibrations=[]),
        ValueError,
        "calibrations is empty",
    ),
    (
        lambda: zs.calibrated_stacking(torch.randn(3, 4), [0], float("nan")),
        ValueError,
        "calibration must be a finite number",
    ),
    (
        lambda: zs.confusion_matrix(torch.randn(3, 4), torch.tensor([0, 1, 3]), [0, 1]),
        ValueError,
        r"targets contain classes \[3\] that are not in classes",
    ),
    (
        lambda: zs.mean_predicted_attributes(torch.rand(3, 2), torch.tensor([0, 0, 1]), [0, 2]),
        ValueError,
        "class 2 has no images in targets",
    ),
    (lambda: zs.split_classes(10, 10), ValueError, "n_unseen must be an integer in"),
    (lambda: zs.split_classes(1, 1), ValueError, "classes must be at least 2"),
    (
        lambda: zs.generalized_split(torch.arange(4).repeat(3), [0, 1], [9]),
        ValueError,
        r"unseen classes \[9\] have no images",
    ),
    (
        lambda: zs.generalized_split(torch.arange(4).repeat(3), [0, 1], [2], test_fraction=1.0),
        ValueError,
        r"test_fraction must lie in \(0, 1\)",
    ),
    (lambda: zs.generalized_split(torch.arange(4), [0, 1], [2]), ValueError, "each seen class needs at least 2"),
    (lambda: zs.standardize(torch.randn(5, 3), torch.randn(2, 4)), ValueError, "others\\[0\\] has 4 features"),
    (lambda: zs.standardize(torch.randn(0, 3)), ValueError, "train needs at least 1 rows"),
    (
        lambda: zs.eszsl_weights(torch.randn(5, 3), torch.randn(4, 2), torch.randn(2, 3)),
        ValueError,
        "targets has 4 rows but features has 5",
    ),
    (
        lambda: zs.eszsl_weights(torch.randn(5, 3), torch.randn(5, 2), torch.randn(3, 3)),
        ValueError,
        "targets has 2 columns but class_attributes describes 3 classes",
    ),
    (
        lambda: zs.eszsl_weights(torch.randn(5, 3), torch.randn(5, 2), torch.randn(2, 3), lam=-1.0),
        ValueError,
        "lam must be > 0",
    ),
    (
        lambda: zs.ESZSL().fit(**_world_with(class_attributes=lambda a: a[:10])),
        ValueError,
        r"labels must be >= 0 and < 10",
    ),
    (lambda: zs.DAP().fit(**_world_with(features=_nan_at)), ValueError, "features contains NaN"),
    (
        lambda: zs.ESZSL().fit(**_world_with(features=lambda x: x[_ONE_CLASS], labels=lambda y: y[_ONE_CLASS])),
        ValueError,
        "at least two seen classes",
    ),
    (lambda: zs.ESZSL().fit(**_world_with(labels=lambda y: y.float())), ValueError, "labels must be integer class ids"),
    (
        lambda: zs.ESZSL().fit(**_world_with(labels=lambda y: y[:-1])),
        ValueError,
        "labels has 359 entries but there are 360 rows",
    ),
    (
        lambda: zs.PrototypicalZeroShot(20, 8).fit(**_world_with(), epochs=0),
        ValueError,
        "epochs must be a positive integer",
    ),
    (
        lambda: zs.PrototypicalZeroShot(20, 8).fit(**_world_with(), batch_size=1.5),
        ValueError,
        "batch_size must be a positive integer",
    ),
    (lambda: zs.ESZSL().scores(torch.randn(2, 3), torch.rand(2, 2)), RuntimeError, r"call \.fit"),
    (lambda: zs.DAP().predict_attributes(torch.randn(2, 3)), RuntimeError, r"call \.fit"),
    (lambda: zs.ESZSL(gamma=0.0), ValueError, "gamma must be > 0"),
    (lambda: zs.ESZSL(lam=float("inf")), ValueError, "lam must be a finite number"),
    (lambda: zs.DAP(C=0), ValueError, "C must be > 0"),
    (lambda: zs.PrototypicalZeroShot(0, 8), ValueError, "n_features must be a positive integer"),
    (lambda: zs.PrototypicalZeroShot(20, 8, embedding_dim=-1), ValueError, "embedding_dim must be a positive"),
    (lambda: zs.PrototypicalZeroShot(20, 8, hidden=0), ValueError, "hidden must be None"),
    (lambda: zs.PrototypicalZeroShot(20, 8, dropout=1.0), ValueError, r"dropout must lie in \[0, 1\)"),
    (
        lambda: zs.zero_shot_trial(zs.ESZSL(), *_toy_world(n_classes=4), [0, 1, 2]),
        ValueError,
        "keep at least two classes seen",
    ),
    (
        lambda: zs.zero_shot_trial(zs.ESZSL(), *_toy_world(n_classes=4), [12]),
        ValueError,
        r"unseen must be class ids in \[0, 4\)",
    ),
    (
        lambda: zs.zero_shot_trial(zs.ESZSL(), *_toy_world(), [3], description=torch.ones(8), k=0),
        ValueError,
        "k must be a positive integer",
    ),
    (
        lambda: zs.zero_shot_trial(zs.ESZSL(), *_toy_world(), [3], description=torch.ones(5)),
        ValueError,
        "class_attributes has 5 attributes per class",
    ),
]


@pytest.mark.parametrize("call,error,message", BAD_INPUTS, ids=[m[:40] for _, _, m in BAD_INPUTS])
def test_bad_input_is_rejected_with_its_name(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_generalized_split_keeps_unseen_images_out_of_training():
    labels = torch.arange(6).repeat_interleave(8)
    seen, unseen = [0, 2, 3, 5], [1, 4]
    train, test = zs.generalized_split(labels, seen, unseen, test_fraction=0.25, seed=0)
    assert not torch.isin(labels[train], torch.tensor(unseen)).any()
    assert len(set(train.tolist()) & set(test.tolist())) == 0
    assert len(train) + len(test) == len(labels)  # every image of a listed class is used once
    assert torch.isin(torch.nonzero(torch.isin(labels, torch.tensor(unseen))).flatten(), test).all()
    for c in seen:  # 2 of 8 images of every seen class are held out for testing
        assert int((labels[test] == c).sum()) == 2 and int((labels[train] == c).sum()) == 6
    again = zs.generalized_split(labels, seen, unseen, test_fraction=0.25, seed=0)
    assert torch.equal(train, again[0]) and torch.equal(test, again[1])


# --- zero-shot trials and the panel ------------------------------------------------------------------------
def test_zero_shot_trial_matches_fitting_by_hand():
    features, labels, attrs = _toy_world(n_classes=12, noise=0.2)
    unseen = [3, 7, 10]
    trial = zs.zero_shot_trial(zs.ESZSL(), features, labels, attrs, unseen, description=attrs[7], k=5)
    is_seen = ~torch.isin(labels, torch.tensor(unseen))
    train, everything = zs.standardize(features[is_seen], features)
    model = zs.ESZSL().fit(train, labels[is_seen], attrs)
    scores = model.scores(everything[~is_seen], attrs)
    assert trial["accuracy"] == pytest.approx(zs.zero_shot_accuracy(scores, labels[~is_seen], unseen))
    assert trial["seen"].tolist() == [c for c in range(12) if c not in unseen]
    assert trial["chance"] == pytest.approx(1 / 3)
    # retrieval ranks the unseen-class images by their score for the description relative to their mean
    # score over the unseen descriptions: a loop over images and a sort agree
    candidates = torch.nonzero(~is_seen).flatten().tolist()
    relative = [
        float(everything[i] @ model.V @ attrs[7])
        - sum(float(everything[i] @ model.V @ attrs[c]) for c in unseen) / len(unseen)
        for i in candidates
    ]
    ranked = sorted(range(len(candidates)), key=lambda j: -relative[j])[:5]
    assert trial["retrieved"].tolist() == [candidates[j] for j in ranked]
    assert (labels[trial["retrieved"]] == 7).float().mean() >= 0.6  # the described class comes back


def test_zero_shot_panel_runs_what_a_user_chooses():
    from tlearn import widgets

    features, labels, attrs = _toy_world(n_classes=10, noise=0.2)
    names = [f"A{i}" for i in range(8)]
    panel = widgets.zero_shot_panel(
        lambda: zs.ESZSL(),
        features,
        labels,
        attrs,
        names,
        [f"class {c}" for c in range(10)],
        images=torch.rand(len(labels), 1, 8, 8),
    )
    widgets.drive(panel, click="run", unseen=(2, 5), description="A0, A3")
    trial = panel.trials[-1]
    direct = zs.zero_shot_trial(
        zs.ESZSL(), features, labels, attrs, [2, 5], description=zs.parse_description("A0, A3", names)
    )
    assert trial["accuracy"] == pytest.approx(direct["accuracy"])
    assert torch.equal(trial["retrieved"], direct["retrieved"])
    assert panel.output.last_figure is not None


def test_zero_shot_panel_reports_a_bad_description():
    from tlearn import widgets

    features, labels, attrs = _toy_world(n_classes=10)
    panel = widgets.zero_shot_panel(
        lambda: zs.ESZSL(), features, labels, attrs, [f"A{i}" for i in range(8)], [str(c) for c in range(10)]
    )
    with pytest.raises(ValueError, match="unknown attribute 'wings'"):
        widgets.drive(panel, click="run", description="A1, wings")


# --- plots: they draw what they are given and refuse mismatched shapes -------------------------------------
def test_zero_shot_plots_return_figures():
    import matplotlib

    matplotlib.use("Agg")
    from tlearn import viz

    table, names = zs.digit_attributes()
    assert viz.plot_attribute_table(table, names, list("0123456789")) is not None
    fig = viz.plot_predicted_attributes(
        torch.rand(2, len(names)), table[:2], names, ["0", "1"], images=torch.rand(2, 1, 8, 8)
    )
    assert len(fig.axes) == 4
    scores, targets = _random_scores(n=100, c=6, seed=5)
    curve = zs.stacking_curve(scores, targets, [0, 1, 2], [3, 4, 5])
    assert viz.plot_stacking_curves({"m": curve}, {"m": curve["best"]}) is not None
    assert viz.plot_confusion(torch.eye(3), ["a", "b", "c"]) is not None


def test_plot_attribute_table_rejects_mismatched_names():
    from tlearn import viz

    with pytest.raises(ValueError, match=r"table must be \[len\(class_names\), len\(attribute_names\)\]"):
        viz.plot_attribute_table(torch.rand(3, 4), ["a", "b"], ["x", "y", "z"])


def test_plot_stacking_curves_rejects_unknown_focus():
    from tlearn import viz

    scores, targets = _random_scores(n=50, c=4, seed=6)
    curve = zs.stacking_curve(scores, targets, [0, 1], [2, 3])
    with pytest.raises(ValueError, match="focus 'other' is not one of the curves"):
        viz.plot_stacking_curves({"m": curve}, focus="other")


def test_plot_split_accuracies_counts_every_split_and_marks_chance_and_mean():
    from tlearn import viz

    accuracies = [0.2, 0.5, 0.55, 0.9]
    fig = viz.plot_split_accuracies(accuracies, 1 / 3, 3, title="t")
    ax = fig.axes[0]
    assert sum(p.get_height() for p in ax.patches) == len(accuracies)  # every split in one bar
    lines = sorted(line.get_xdata()[0] for line in ax.get_lines())
    assert lines == pytest.approx(sorted([1 / 3, float(np.mean(accuracies))]))
    with pytest.raises(ValueError, match="one per split"):
        viz.plot_split_accuracies([], 1 / 3, 3)
