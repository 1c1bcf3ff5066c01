"""course_utils: the package behind the training-data poisoning course.

Layers, from the bottom up; each imports only from the layers below it
(``.importlinter`` states them as contracts, and ``make test`` checks them):

=============  ===================================================================
layer          modules
=============  ===================================================================
base           ``_validation`` (argument checks), ``data`` (the toy set and the
               shipped review sentences, checksummed), ``models`` (the model
               factories), ``metrics``, ``provenance`` (signed manifests, the
               data registry, model cards)
science        ``attacks``; ``detect`` (audit, outliers, label noise, triggers);
               ``defenses`` (the registry of filters, trainers and monitors)
experiment     ``experiment``: split, poison, train, score; ``defend``; sweeps;
               ``evaluation``: detectors graded over attacks and seeds;
               ``curation``: curated training through the data registry
show           ``plotting`` (the house style, the sweep figure), ``playgrounds``
teach          ``notebook`` (what a lesson records), ``checks``, ``exercises``,
               ``grading``
tools          ``build`` (headless execution of lessons), ``cli``
               (``python -m course_utils ...``)
=============  ===================================================================
"""

__version__ = "0.1.0"
