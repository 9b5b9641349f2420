"""Oracle tests for tlearn.zeroshot: closed forms against direct solves, DAP against hand-worked numbers,
metrics against their definitions, and one test per bad input."""

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


def test_parse_description_rejects_unknown_name():
    with pytest.raises(ValueError, match="unknown attribute 'tail'"):
        zs.parse_description("loop, tail", ["loop", "bar"])


def test_parse_description_rejects_wrong_count_of_numbers():
    with pytest.raises(ValueError, match="3 numbers but a description has 2"):
        zs.parse_description("1 0 1", ["loop", "bar"])


def test_parse_description_rejects_empty_text():
    with pytest.raises(ValueError, match="text is empty"):
        zs.parse_description("  ", ["loop", "bar"])


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
    objective = ((X.T @ V @ S - Y) ** 2).sum() + gamma * ((V @ S) ** 2).sum() \
        + lam * ((X.T @ V) ** 2).sum() + gamma * lam * (V ** 2).sum()
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
@pytest.mark.parametrize("make", [
    lambda f, y, a: zs.DAP().fit(f, y, a),
    lambda f, y, a: zs.ESZSL(gamma=1.0, lam=1.0).fit(f, y, a),
    lambda f, y, a: _fitted_proto(f, y, a),
], ids=["dap", "eszsl", "prototypical"])
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
        losses = model.fit(features, labels, attrs, epochs=3, seed=5)
        runs.append((losses, model.scores(features[:4], attrs)))
    assert runs[0][0] == runs[1][0]
    torch.testing.assert_close(runs[0][1], runs[1][1])


# --- metrics against their definitions ---------------------------------------------------------------------
@pytest.mark.parametrize("a,b", [(0.8, 0.2), (0.5, 0.5), (1.0, 0.1), (0.3, 0.0)])
def test_harmonic_mean_is_the_reciprocal_of_the_mean_reciprocal(a, b):
    expected = 0.0 if min(a, b) == 0 else 1.0 / ((1.0 / a + 1.0 / b) / 2)
    assert zs.harmonic_mean(a, b) == pytest.approx(expected)
    assert zs.harmonic_mean(a, b) <= (a + b) / 2 + 1e-12


def test_harmonic_mean_of_two_zeros_is_zero():
    assert zs.harmonic_mean(0.0, 0.0) == 0.0


def test_harmonic_mean_rejects_percentages():
    with pytest.raises(ValueError, match="seen_accuracy must lie in"):
        zs.harmonic_mean(80.0, 0.5)


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


# --- bad input: one test each ---------------------------------------------------------------------------
def test_descriptions_with_wrong_number_of_attributes_are_rejected_by_eszsl():
    features, labels, attrs = _toy_world()
    model = zs.ESZSL().fit(features, labels, attrs)
    with pytest.raises(ValueError, match="7 attributes per class but the model was fitted with 8"):
        model.scores(features, attrs[:, :7])


def test_descriptions_with_wrong_number_of_attributes_are_rejected_by_dap():
    features, labels, attrs = _toy_world()
    model = zs.DAP().fit(features, labels, attrs)
    with pytest.raises(ValueError, match="9 attributes per class but the model was fitted with 8"):
        model.scores(features, torch.cat([attrs, attrs[:, :1]], 1))


def test_descriptions_with_wrong_number_of_attributes_are_rejected_by_prototypes():
    model = zs.PrototypicalZeroShot(20, 8)
    with pytest.raises(ValueError, match="5 attributes per class"):
        model.prototypes(torch.rand(3, 5))


def test_dap_scores_reject_mismatched_attribute_counts():
    with pytest.raises(ValueError, match="class_attributes has 3 attributes per class but attribute_probs has 2"):
        zs.dap_scores(torch.rand(4, 2), torch.rand(5, 3))


def test_dap_scores_reject_non_binary_descriptions():
    with pytest.raises(ValueError, match=r"class_attributes must lie in \[0, 1\]"):
        zs.dap_scores(torch.rand(4, 2), torch.tensor([[2.0, 0.0]]))


def test_unseen_class_that_is_also_seen_is_rejected():
    with pytest.raises(ValueError, match=r"classes \[3\] are both seen and unseen"):
        zs.check_split([0, 1, 3], [2, 3])


def test_generalized_accuracy_rejects_overlapping_split():
    scores, targets = _random_scores(c=4)
    with pytest.raises(ValueError, match="both seen and unseen"):
        zs.generalized_accuracy(scores, targets, [0, 1, 2], [2, 3])


@pytest.mark.parametrize("seen,unseen,name", [([], [1, 2], "seen"), ([0, 1], [], "unseen")])
def test_empty_class_list_is_rejected(seen, unseen, name):
    with pytest.raises(ValueError, match=f"{name} is empty"):
        zs.check_split(seen, unseen)


def test_zero_shot_accuracy_rejects_empty_unseen_list():
    scores, targets = _random_scores(c=4)
    with pytest.raises(ValueError, match="unseen is empty"):
        zs.zero_shot_accuracy(scores, targets, [])


def test_class_ids_out_of_range_are_rejected():
    with pytest.raises(ValueError, match=r"unseen must be class ids in \[0, 5\)"):
        zs.check_split([0, 1], [7], n_classes=5)


def test_duplicate_class_ids_are_rejected():
    with pytest.raises(ValueError, match="lists a class more than once"):
        zs.check_split([0, 0, 1], [2])


def test_zero_shot_accuracy_rejects_seen_test_images():
    scores = torch.randn(3, 4)
    with pytest.raises(ValueError, match=r"targets contain classes \[0\] that are not in unseen"):
        zs.zero_shot_accuracy(scores, torch.tensor([0, 2, 3]), [2, 3])


def test_split_classes_rejects_all_unseen():
    with pytest.raises(ValueError, match="n_unseen must be an integer in"):
        zs.split_classes(10, 10)


def test_labels_beyond_the_description_table_are_rejected():
    features, labels, attrs = _toy_world()
    with pytest.raises(ValueError, match="describes only 10 classes"):
        zs.ESZSL().fit(features, labels, attrs[:10])


def test_nan_features_are_rejected():
    features, labels, attrs = _toy_world()
    features[3, 2] = float("nan")
    with pytest.raises(ValueError, match="features contains NaN"):
        zs.DAP().fit(features, labels, attrs)


def test_training_on_one_class_is_rejected():
    features, labels, attrs = _toy_world()
    one = labels == 0
    with pytest.raises(ValueError, match="at least two seen classes"):
        zs.ESZSL().fit(features[one], labels[one], attrs)


def test_float_labels_are_rejected():
    features, labels, attrs = _toy_world()
    with pytest.raises(TypeError, match="labels must hold integer class ids"):
        zs.ESZSL().fit(features, labels.float(), attrs)


def test_unfitted_model_says_how_to_fit():
    with pytest.raises(RuntimeError, match=r"call \.fit"):
        zs.ESZSL().scores(torch.randn(2, 3), torch.rand(2, 2))


def test_eszsl_rejects_non_positive_regularisation():
    with pytest.raises(ValueError, match="gamma must be > 0"):
        zs.ESZSL(gamma=0.0)


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


def test_generalized_split_rejects_a_class_without_images():
    with pytest.raises(ValueError, match=r"unseen classes \[9\] have no images"):
        zs.generalized_split(torch.arange(4).repeat(3), [0, 1], [9])


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
    relative = [float(everything[i] @ model.V @ attrs[7]) - sum(float(everything[i] @ model.V @ attrs[c])
                                                                 for c in unseen) / len(unseen) for i in candidates]
    ranked = sorted(range(len(candidates)), key=lambda j: -relative[j])[:5]
    assert trial["retrieved"].tolist() == [candidates[j] for j in ranked]
    assert (labels[trial["retrieved"]] == 7).float().mean() >= 0.6  # the described class comes back


def test_zero_shot_trial_needs_two_seen_classes():
    features, labels, attrs = _toy_world(n_classes=4)
    with pytest.raises(ValueError, match="keep at least two classes seen"):
        zs.zero_shot_trial(zs.ESZSL(), features, labels, attrs, [0, 1, 2])


def test_zero_shot_panel_runs_what_a_user_chooses():
    from tlearn import widgets

    features, labels, attrs = _toy_world(n_classes=10, noise=0.2)
    names = [f"A{i}" for i in range(8)]
    panel = widgets.zero_shot_panel(lambda: zs.ESZSL(), features, labels, attrs, names,
                                    [f"class {c}" for c in range(10)], images=torch.rand(len(labels), 1, 8, 8))
    widgets.drive(panel, click="run", unseen=(2, 5), description="A0, A3")
    trial = panel.trials[-1]
    direct = zs.zero_shot_trial(zs.ESZSL(), features, labels, attrs, [2, 5],
                                description=zs.parse_description("A0, A3", names))
    assert trial["accuracy"] == pytest.approx(direct["accuracy"])
    assert torch.equal(trial["retrieved"], direct["retrieved"])
    assert panel.output.last_figure is not None


def test_zero_shot_panel_reports_a_bad_description():
    from tlearn import widgets

    features, labels, attrs = _toy_world(n_classes=10)
    panel = widgets.zero_shot_panel(lambda: zs.ESZSL(), features, labels, attrs, [f"A{i}" for i in range(8)],
                                    [str(c) for c in range(10)])
    with pytest.raises(ValueError, match="unknown attribute 'wings'"):
        widgets.drive(panel, click="run", description="A1, wings")


# --- plots: they draw what they are given and refuse mismatched shapes -------------------------------------
def test_zero_shot_plots_return_figures():
    import matplotlib

    matplotlib.use("Agg")
    from tlearn import viz

    table, names = zs.digit_attributes()
    assert viz.plot_attribute_table(table, names, list("0123456789")) is not None
    fig = viz.plot_predicted_attributes(torch.rand(2, len(names)), table[:2], names, ["0", "1"],
                                        images=torch.rand(2, 1, 8, 8))
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
