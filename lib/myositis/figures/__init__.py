"""Every figure of the project. ``style`` holds the house style and the saver; one module per figure family
(``km`` survival curves, ``mi2`` phenotype figures, ``sam`` case-series figures). Plot functions take
``ax=None`` and return the axes (or the figure when they draw several panels)."""
