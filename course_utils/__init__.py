"""course_utils: the package behind the training-data poisoning course.

Modules
-------
data        the reference's toy set and the shipped review sentences (checksummed)
attacks     duplicate-flip, random-flip, targeted-flip and backdoor poisoning
metrics     accuracy, attack success rate, detection scores, intervals over seeds
experiment  the shared experiment: split, poison, train, score; sweeps
plotting    the house plot style and the sweep figure
build       headless execution of lessons (``make course``, ``make notebooks``)
cli         ``python -m course_utils experiment ...``
"""

__version__ = "0.1.0"
