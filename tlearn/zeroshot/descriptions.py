"""Class descriptions written by a person: the digit attribute table and typed descriptions.

A zero-shot model never sees an image of an unseen class; all it has is a description, a vector
:math:`a_c \\in \\mathbb{R}^A` of attributes one could state without drawing the thing. Here the ten
handwritten digits are described by twelve yes/no attributes, and :func:`parse_description` turns typed
words into such a vector.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import torch

DIGIT_ATTRIBUTE_NAMES = (
    "closed loop",
    "loop in upper half",
    "loop in lower half",
    "vertical line",
    "bar at top",
    "bar at bottom",
    "crossbar in middle",
    "diagonal line",
    "bulges to the right",
    "bulges to the left",
    "sharp corner",
    "round all over",
)
# What one would say about each handwritten digit, attribute by attribute (1 = yes). Most attributes are
# shared by several digits (a detector for one can be learnt on some digits and used on others), and the
# rows are all different, so the ten digits are distinguishable from their descriptions alone.
DIGIT_DESCRIPTIONS = {
    #    loop upper lower vert top bottom cross diag right left corner round
    "0": (1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1),
    "1": (0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0),
    "2": (0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 0),
    "3": (0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0),
    "4": (0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0),
    "5": (0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0),
    "6": (1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1),
    "7": (0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0),
    "8": (1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 1),
    "9": (1, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0),
}


def digit_attributes() -> tuple[torch.Tensor, list[str]]:
    """The hand-written description table of the ten digits: ``[10, 12]`` in {0, 1} and attribute names."""
    table = torch.tensor([DIGIT_DESCRIPTIONS[str(d)] for d in range(10)], dtype=torch.float32)
    return table, list(DIGIT_ATTRIBUTE_NAMES)


def parse_description(text: str, attribute_names: Sequence[str]) -> torch.Tensor:
    """Turn typed words into a description vector ``[A]``.

    ``text`` is either attribute names separated by commas or semicolons ("closed loop, vertical
    line": those attributes are 1, the rest 0; case does not matter) or one number per attribute
    ("1 0 0 1 ...").
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    names = [str(n) for n in attribute_names]
    if not names:
        raise ValueError("attribute_names is empty; pass the names of the description's attributes")
    words = text.strip()
    if not words:
        raise ValueError(f"text is empty; name some attributes ({', '.join(names)}) or give {len(names)} numbers")
    numbers = re.split(r"[\s,;]+", words)
    try:
        values = [float(v) for v in numbers]
    except ValueError:
        values = None
    if values is not None:
        if len(values) != len(names):
            raise ValueError(
                f"text gives {len(values)} numbers but a description has {len(names)} attributes "
                f"({', '.join(names)}); give one number per attribute"
            )
        return torch.tensor(values, dtype=torch.float32)
    lookup = {n.lower(): i for i, n in enumerate(names)}
    vector = torch.zeros(len(names))
    for part in re.split(r"[,;]", words):
        key = " ".join(part.lower().split())
        if not key:
            continue
        if key not in lookup:
            raise ValueError(f"unknown attribute {part.strip()!r} in text; choose from: {', '.join(names)}")
        vector[lookup[key]] = 1.0
    return vector
