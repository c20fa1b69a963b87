"""Reproducible analyses of dermatomyositis cohorts: anti-Mi2 phenotype, tacrolimus survival in anti-MDA5
DM-ILD, and macrophage activation syndrome (MAS) complicating DM.

Modules follow the concepts a clinician names: ``published`` (facts from papers), ``survival``, ``mi2``,
``sam``, ``scores``, ``tables``, ``plots``; ``paths`` resolves every folder; ``runner`` is the batch.
"""

__version__ = "0.1.0"
