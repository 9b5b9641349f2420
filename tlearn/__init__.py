"""tlearn: transfer learning you can run, read and trust.

The helper package behind the course notebooks. Each module follows one notebook:

- ``tlearn.data``       offline data worlds (Glyphs, digits, toy 2-D) and the optional real datasets
- ``tlearn.backbones``  Conv4, a small ResNet, a GRU sequence encoder, a torchvision adapter
- ``tlearn.samplers``   episodes, pairs, source/target batches
- ``tlearn.train``      a small fit/evaluate loop
- ``tlearn.viz``        plots that return matplotlib Figures
- ``tlearn.widgets``    ipywidgets panels over pure functions
"""

__version__ = "0.1.0"
