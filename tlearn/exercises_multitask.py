r"""Checking function for notebook 04's implementation exercise: dynamic weight average.

Liu, Johns & Davison (2019, "End-to-End Multi-Task Learning with Attention", CVPR) weigh task :math:`k` at
epoch :math:`t` by how fast its loss has been falling (their Eq. 7),

.. math::  \lambda_k(t) = \frac{K \exp\big(w_k(t-1)/T\big)}{\sum_i \exp\big(w_i(t-1)/T\big)}, \qquad
           w_k(t-1) = \frac{\mathcal L_k(t-1)}{\mathcal L_k(t-2)},

with :math:`K` tasks and a temperature :math:`T` (:math:`T = 2` in the paper; a large :math:`T` gives equal
weights). A task whose loss has stopped falling (ratio near 1) gets more weight than one still falling fast.
The weights sum to :math:`K`. The paper uses :math:`w_k = 1` for the first two epochs.

The checker prints a short verdict and returns ``True`` or ``False``; it never raises on a wrong answer, so the
notebook runs with the exercise left undone.
"""

from __future__ import annotations

import torch


def dynamic_weight_average_reference(
    previous: torch.Tensor, before: torch.Tensor, temperature: float = 2.0
) -> torch.Tensor:
    r"""Liu et al.'s weights :math:`\lambda_k(t)` from the losses of epochs :math:`t-1` (``previous [K]``) and
    :math:`t-2` (``before [K]``)."""
    w = previous / before  # w_k(t-1) = L_k(t-1) / L_k(t-2)
    return len(w) * torch.softmax(w / temperature, dim=0)  # K exp(w_k / T) / sum_i exp(w_i / T)


def check_dynamic_weight_average(fn, trials: int = 4, atol: float = 1e-5, verbose: bool = True) -> bool:
    r"""Check ``fn(previous [K], before [K], temperature) -> weights [K]`` against Liu et al.'s dynamic weight
    average on random positive losses, for 2 to 5 tasks and temperatures from 0.5 to 4."""

    def say(ok: bool, message: str) -> bool:
        if verbose:
            print(("Correct: " if ok else "Not yet: ") + message)
        return ok

    g = torch.Generator().manual_seed(0)
    for trial in range(trials):
        k, temperature = 2 + trial, (0.5, 1.0, 2.0, 4.0)[trial]
        before = 0.5 + 2 * torch.rand(k, generator=g)
        previous = before * (0.3 + 0.9 * torch.rand(k, generator=g))  # some losses fall fast, some barely
        try:
            got = fn(previous.clone(), before.clone(), temperature)
        except Exception as error:  # noqa: BLE001  (the learner's code may raise anything: report it)
            return say(False, f"your function raised {type(error).__name__}: {error}")
        want = dynamic_weight_average_reference(previous, before, temperature)
        if not isinstance(got, torch.Tensor):
            return say(False, f"return a torch.Tensor of {k} weights, got {type(got).__name__}")
        if tuple(got.shape) != (k,):
            return say(False, f"return one weight per task, shape ({k},), got {tuple(got.shape)}")
        if not torch.allclose(got.float(), want, atol=atol):
            hint = (
                f"your weights sum to {float(got.sum()):.3f}, they should sum to K = {k}"
                if abs(float(got.sum()) - k) > 1e-3
                else "the ratio is L_k(t-1) / L_k(t-2), divided by the temperature inside the exponential"
            )
            return say(
                False,
                f"weights {got.tolist()} differ from K softmax(w / T) = {want.tolist()} "
                f"(K = {k}, T = {temperature}); {hint}",
            )
    return say(True, f"your weights equal Liu et al.'s dynamic weight average on {trials} random cases.")
