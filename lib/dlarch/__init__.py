"""dlarch: the shared library of *Deep Learning Architectures, hands-on*.

One module per chapter (``neurons``, ``cnn``, ``rnn``, ...) plus a small
shared core: ``config`` (profile, seeding, environment), ``data`` (datasets),
``training`` (recorded results, history, progress) and ``plots`` (figures).
"""

__version__ = "0.1.0"
