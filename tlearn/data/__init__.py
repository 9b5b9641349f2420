"""Offline data worlds, and real datasets on request.

=====================  ===========================================================================
``glyphs``             a procedural Omniglot: alphabets, characters, drawers; images, pen
                       trajectories and attribute vectors (:mod:`tlearn.data.glyphs`); pixel
                       nearest neighbour calibrated to Omniglot's published figures
                       (:mod:`tlearn.data.calibration`); attributes are the generator's own
                       noise-free values, not human annotations
``syn_digits``         digits rendered from the fonts matplotlib ships (:mod:`tlearn.data.digits`),
                       in the spirit of Ganin's SynDigits, not the same set
``hand_digits``        scikit-learn's 1,797 real handwritten digits by 13 writers, resized; splits
                       share writers (none are recorded)
``textured``           any digit set blended with patches of 19 scikit-image photographs, after MNIST-M
``multi_digits``       two digits on one canvas, a label for each (multi-task learning)
``moons``              two moons, optionally rotated (domain adaptation in 2-D)
``load(name)``         any of the above by name, or a real torchvision dataset (:mod:`tlearn.data.real`)
=====================  ===========================================================================
"""

from .base import ImageSet
from .cache import cache_dir
from .calibration import pixel_nn_calibration
from .digits import MultiDigits, hand_digits, multi_digits, syn_digits, textured
from .glyphs import Glyphs, glyphs, render_points
from .real import REGISTRY as REAL_DATASETS
from .real import OfflineError, load_real, pretrained_torchvision
from .toy import moons

OFFLINE = {
    "glyphs": lambda **kw: glyphs(**kw),
    "syndigits": lambda **kw: syn_digits(**kw),
    "handdigits": lambda **kw: hand_digits(**kw),
    "textured-handdigits": lambda seed=0, **kw: textured(hand_digits(**kw), seed=seed),
    "textured-syndigits": lambda seed=0, **kw: textured(syn_digits(seed=seed, **kw), seed=seed),
    "multidigits": lambda **kw: multi_digits(**kw),
}


def load(name: str, **kwargs):
    """A dataset by name: an offline world (``glyphs``, ``syndigits``, ``handdigits``,
    ``textured-handdigits``, ``textured-syndigits``, ``multidigits``) or a real one
    (``omniglot``, ``mnist``, ``usps``, ``svhn``, ``cifar10``; downloaded once, needs a network)."""
    key = str(name).lower().replace("_", "")
    if key in OFFLINE:
        return OFFLINE[key](**kwargs)
    if key in REAL_DATASETS:
        return load_real(key, **kwargs)
    known = ", ".join(sorted(OFFLINE) + sorted(REAL_DATASETS))
    raise ValueError(f"unknown dataset name {name!r}; known: {known}")


__all__ = [
    "REAL_DATASETS",
    "Glyphs",
    "ImageSet",
    "MultiDigits",
    "OfflineError",
    "cache_dir",
    "glyphs",
    "hand_digits",
    "load",
    "load_real",
    "moons",
    "multi_digits",
    "pixel_nn_calibration",
    "pretrained_torchvision",
    "render_points",
    "syn_digits",
    "textured",
]
