"""dlarch: the shared library of *Deep Learning Architectures, hands-on*.

One module per chapter (``neurons``, ``cnn``, ``rnn``, ...) plus a small
shared core: ``config`` (profile, seeding, environment), ``data`` (datasets),
``training`` (recorded results, history, progress) and ``plots`` (figures).
"""

import os

# TensorFlow's C++ start-up lines (CUDA probing, CPU features) are noise in a
# notebook; readers who want them can set TF_CPP_MIN_LOG_LEVEL themselves.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.1.0"
