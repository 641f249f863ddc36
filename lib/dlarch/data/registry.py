"""The files the course downloads: canonical address and sha256 of each.

A mirror folder (``DLARCH_DATA_MIRROR``) holds the same files under the same
names; they are checksummed exactly as a download would be. Some files also
ship in an operating-system package (:class:`SystemCopy`); packagers may
recompress them, so such a copy is identified by the sha256 of its
*decompressed* payload rather than of its bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

KERAS_DATASETS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


@dataclass(frozen=True)
class SystemCopy:
    """A gzip file installed by a system package, and the sha256 of its decompressed payload."""

    package: str
    path: str
    payload_sha256: str


@dataclass(frozen=True)
class RemoteFile:
    """One downloadable file: its cache/mirror file name, URL, sha256 and any system copy."""

    filename: str
    url: str
    sha256: str
    system: SystemCopy | None = None


# Debian/Ubuntu: `apt-get install dataset-fashion-mnist` installs the four original IDX files.
FASHION_PACKAGE = "dataset-fashion-mnist"
FASHION_SYSTEM_DIR = "/usr/share/datasets/fashion-mnist/"


def _fashion_copy(filename: str, payload_sha256: str) -> SystemCopy:
    return SystemCopy(FASHION_PACKAGE, FASHION_SYSTEM_DIR + filename, payload_sha256)


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
        _fashion_copy("train-images-idx3-ubyte.gz",
                      "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
    ),
    "fashion_mnist_train_labels": RemoteFile(
        "train-labels-idx1-ubyte.gz",
        KERAS_DATASETS + "train-labels-idx1-ubyte.gz",
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        _fashion_copy("train-labels-idx1-ubyte.gz",
                      "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
    ),
    "fashion_mnist_test_images": RemoteFile(
        "t10k-images-idx3-ubyte.gz",
        KERAS_DATASETS + "t10k-images-idx3-ubyte.gz",
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        _fashion_copy("t10k-images-idx3-ubyte.gz",
                      "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
    ),
    "fashion_mnist_test_labels": RemoteFile(
        "t10k-labels-idx1-ubyte.gz",
        KERAS_DATASETS + "t10k-labels-idx1-ubyte.gz",
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        _fashion_copy("t10k-labels-idx1-ubyte.gz",
                      "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
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
