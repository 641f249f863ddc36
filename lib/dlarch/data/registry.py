"""The files the course downloads: canonical address and sha256 of each.

A mirror folder (``DLARCH_DATA_MIRROR``) holds the same files under the same
names; they are checksummed exactly as a download would be.
"""

from __future__ import annotations

from dataclasses import dataclass

KERAS_DATASETS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


@dataclass(frozen=True)
class RemoteFile:
    """One downloadable file: its cache/mirror file name, URL and sha256."""

    filename: str
    url: str
    sha256: str


FILES: dict[str, RemoteFile] = {
    "mnist": RemoteFile(
        "mnist.npz",
        KERAS_DATASETS + "mnist.npz",
        "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    ),
    "fashion_mnist_train_images": RemoteFile(
        "train-images-idx3-ubyte.gz",
        KERAS_DATASETS + "train-images-idx3-ubyte.gz",
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    ),
    "fashion_mnist_train_labels": RemoteFile(
        "train-labels-idx1-ubyte.gz",
        KERAS_DATASETS + "train-labels-idx1-ubyte.gz",
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    ),
    "fashion_mnist_test_images": RemoteFile(
        "t10k-images-idx3-ubyte.gz",
        KERAS_DATASETS + "t10k-images-idx3-ubyte.gz",
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    ),
    "fashion_mnist_test_labels": RemoteFile(
        "t10k-labels-idx1-ubyte.gz",
        KERAS_DATASETS + "t10k-labels-idx1-ubyte.gz",
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    ),
    "imdb": RemoteFile(
        "imdb.npz",
        KERAS_DATASETS + "imdb.npz",
        "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
    ),
    "shakespeare": RemoteFile(
        "shakespeare.txt",
        "https://storage.googleapis.com/download.tensorflow.org/data/shakespeare.txt",
        "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
    ),
}
