r"""Choosing a domain-adaptation hyperparameter without target labels: reverse validation.

The target has no labels, so the usual validation set is missing: picking the weight that scores best on
target labels (the "oracle") uses exactly what the setting says we do not have. Ganin et al.,
"Domain-Adversarial Training of Neural Networks", JMLR 17, 2016, section 5.1.2, choose their
hyperparameters by **reverse validation** (Zhong, Fan, Yang, Verscheure and Ren, ECML PKDD 2010):

1. split the labelled source into a training part :math:`S` and a validation part :math:`S_V`;
2. train the adapted classifier :math:`\eta` on :math:`S` and the unlabelled target :math:`T`;
3. label the target with :math:`\eta`, giving the self-labelled :math:`\{(x, \eta(x))\}_{x \in T}`;
4. train a *reverse* classifier :math:`\eta_r` on the self-labelled target, adapting back to the source;
5. the **reverse validation risk** is the error of :math:`\eta_r` on :math:`S_V`; the candidate with the
   lowest risk is chosen.

A candidate that aligns the domains but maps target classes onto the wrong source classes gets its
target labels wrong, the reverse classifier learns the wrong rule and fails on :math:`S_V`.

**Where tlearn departs.** Step 4 of the paper retrains the whole network with DANN in the reverse
direction. tlearn trains the reverse classifier as a logistic regression on the candidate's own (frozen)
features, each domain normalised with its own batch-norm statistics as in training: one cheap fit per
candidate instead of a second deep training run. It still asks the same question: does a rule learned
from the target's self-labels carry back to held-out source labels?
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .. import checks


def self_labels(model: nn.Module, target_features: torch.Tensor) -> torch.Tensor:
    r""":math:`\eta(x)` for target features: the arg-max of ``model.head``."""
    with torch.no_grad():
        head = model.head
        device = next(head.parameters()).device
        return head(target_features.to(device)).argmax(1).cpu()


def reverse_validation_risk(
    model: nn.Module, source_validation, target, *, own_statistics: bool = True, C: float = 1.0, seed: int = 0
) -> float:
    r"""The reverse validation risk of a trained ``model`` (with ``.backbone`` and ``.head``): the error on
    the labelled ``source_validation`` (an ImageSet or an ``(X, y)`` pair the model did not train on) of a
    logistic regression fitted to the ``target`` features (an ImageSet, pair or tensor; labels unused)
    labelled by ``model``. ``own_statistics=True`` normalises the source validation images with their own
    batch-norm statistics (a network trained with ``batch_norm="per_domain"``). No target label is read."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from ..train import as_tensors
    from .experiments import features_of

    x_val, y_val = as_tensors(source_validation)
    if len(x_val) == 0:
        raise ValueError("source_validation is empty; hold out some labelled source examples")
    C = checks.number("C", C, positive=True)
    f_t = features_of(model, target)
    f_s = features_of(model, x_val, own_statistics=own_statistics)
    pseudo = self_labels(model, f_t).numpy()  # eta(x) on the target: the self-labels
    y_val = y_val.cpu().numpy()
    if len(np.unique(pseudo)) < 2:  # one class only: the reverse classifier can only predict it
        return float(np.mean(y_val != pseudo[0]))
    reverse = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=1000, random_state=seed))
    reverse.fit(f_t.double().numpy(), pseudo)  # eta_r trained on the self-labelled target
    return float(np.mean(reverse.predict(f_s.double().numpy()) != y_val))  # its risk on S_V


def select_by_reverse_validation(models: dict, source_validation, target, **kwargs) -> tuple:
    """``(best key, {key: risk})``: the candidate of ``models`` (``{key: trained model}``) with the lowest
    :func:`reverse_validation_risk` (the first one on a tie); ``kwargs`` go to that function."""
    if not models:
        raise ValueError("models is empty; pass {candidate: trained model}")
    risks = {key: reverse_validation_risk(m, source_validation, target, **kwargs) for key, m in models.items()}
    return min(risks, key=risks.get), risks


__all__ = ["reverse_validation_risk", "select_by_reverse_validation", "self_labels"]
