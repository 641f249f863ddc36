"""Data loaders: cache, mirror, download, checksums and fallbacks."""

import gzip
import hashlib
import importlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import dlarch.data as data
from dlarch.data.__main__ import main as cli
from dlarch.data.registry import RemoteFile

fetch_mod = importlib.import_module("dlarch.data.fetch")  # the package re-exports fetch()
SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"
PAYLOAD = b"hello, mirror\n" * 100


@pytest.fixture
def fake_file(monkeypatch):
    """Register a small file 'toy' whose canonical URL is set per test."""
    entry = RemoteFile("toy.txt", "http://127.0.0.1:9/toy.txt", hashlib.sha256(PAYLOAD).hexdigest())
    monkeypatch.setitem(data.FILES, "toy", entry)
    return entry


@pytest.fixture
def served(tmp_path, serve_folder):
    """A loopback HTTP server over a fresh folder; yields (folder, base URL)."""
    folder = tmp_path / "www"
    folder.mkdir()
    return folder, serve_folder(folder)


def test_mirror_hit(tmp_path, monkeypatch, fake_file):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "toy.txt").write_bytes(PAYLOAD)
    monkeypatch.setenv("DLARCH_DATA_MIRROR", str(mirror))
    got = data.fetch("toy")
    assert got.source == "mirror" and got.path.read_bytes() == PAYLOAD
    assert got.data_source == "mirror"


def test_bad_mirror_copy_is_an_error_naming_file_and_hashes(tmp_path, monkeypatch, fake_file):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "toy.txt").write_bytes(b"corrupted")
    monkeypatch.setenv("DLARCH_DATA_MIRROR", str(mirror))
    with pytest.raises(data.ChecksumError, match=r"toy\.txt.*expected sha256 " + fake_file.sha256):
        data.fetch("toy")
    assert not (data.cache_dir() / "toy.txt").exists()


def test_bad_cached_copy_is_deleted_and_replaced(tmp_path, monkeypatch, fake_file, capsys):
    cache = data.cache_dir()
    cache.mkdir(parents=True)
    (cache / "toy.txt").write_bytes(b"half-written")
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "toy.txt").write_bytes(PAYLOAD)
    monkeypatch.setenv("DLARCH_DATA_MIRROR", str(mirror))
    got = data.fetch("toy")
    assert got.source == "mirror"
    assert not (cache / "toy.txt").exists()
    assert "deleted the bad cached copy" in capsys.readouterr().out


def test_download_is_verified_and_cached(monkeypatch, fake_file, served):
    folder, base = served
    (folder / "toy.txt").write_bytes(PAYLOAD)
    monkeypatch.setenv("DLARCH_OFFLINE", "0")
    monkeypatch.setitem(data.FILES, "toy", RemoteFile("toy.txt", base + "toy.txt", fake_file.sha256))
    got = data.fetch("toy")
    assert got.source == "download" and got.path.read_bytes() == PAYLOAD
    assert data.fetch("toy").source == "cache"


def test_corrupt_download_leaves_nothing_behind(monkeypatch, fake_file, served):
    folder, base = served
    (folder / "toy.txt").write_bytes(b"not the real file")
    monkeypatch.setenv("DLARCH_OFFLINE", "0")
    monkeypatch.setitem(data.FILES, "toy", RemoteFile("toy.txt", base + "toy.txt", fake_file.sha256))
    with pytest.raises(data.ChecksumError, match="toy.txt"):
        data.fetch("toy")
    cache = data.cache_dir()
    assert not cache.exists() or list(cache.iterdir()) == []


def test_unreachable_network_falls_back(monkeypatch, fake_file, capsys):
    monkeypatch.setenv("DLARCH_OFFLINE", "0")
    assert data.fetch("toy") is None  # port 9 on loopback refuses at once
    assert "using the fallback" in capsys.readouterr().out


def test_offline_skips_the_network(monkeypatch, fake_file):
    monkeypatch.setattr(fetch_mod, "download", lambda *a, **k: pytest.fail("tried to download"))
    assert data.fetch("toy") is None


def test_unknown_file_names_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown file 'cifar'.*mnist"):
        data.fetch("cifar")


def test_co2_is_the_real_monthly_mauna_loa_series(capsys):
    co2 = data.load_co2()
    assert co2.source == "canonical" and co2.period == 12 and co2.values.dtype == np.float32
    assert len(co2.values) == len(co2.dates) == 526  # March 1958 .. December 2001
    assert str(co2.dates[0]) == "1958-03" and str(co2.dates[-1]) == "2001-12"
    assert np.isfinite(co2.values).all() and 310 < co2.values[0] < 320 < 365 < co2.values[-1] < 375
    yearly = co2.values[10:10 + 12 * 40].reshape(40, 12)
    assert (np.diff(yearly.mean(axis=1)) > 0).mean() > 0.9  # rising, year after year
    assert "Mauna Loa CO2: canonical (ships with statsmodels" in capsys.readouterr().out


def test_a_missing_mirror_folder_is_a_warning_and_the_next_source_is_tried(monkeypatch, tmp_path):
    monkeypatch.setenv("DLARCH_DATA_MIRROR", str(tmp_path / "nope"))
    with pytest.warns(UserWarning, match=r"DLARCH_DATA_MIRROR=.*nope.* is not a folder"):
        text = data.load_shakespeare()
    assert text.source == "synthetic"


def test_mnist_offline_fallback_is_real_digits(capsys):
    mnist = data.load_mnist()
    assert mnist.source == "offline"
    assert mnist.x_train.shape == (4000, 28, 28, 1) and mnist.x_test.shape == (1000, 28, 28, 1)
    assert mnist.x_train.dtype == np.float32 and 0 <= mnist.x_train.min() and mnist.x_train.max() <= 1
    assert sorted(np.unique(mnist.y_test)) == list(range(10))
    assert "MNIST: offline" in capsys.readouterr().out


def test_mnist_from_mirror(tmp_path, monkeypatch, capsys):
    rng = np.random.default_rng(0)
    arrays = {k: rng.integers(0, 255, size=s, dtype=np.uint8) for k, s in
              [("x_train", (6, 28, 28)), ("x_test", (4, 28, 28))]}
    arrays.update(y_train=np.arange(6) % 10, y_test=np.arange(4))
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    np.savez(mirror / "mnist.npz", **arrays)
    digest = hashlib.sha256((mirror / "mnist.npz").read_bytes()).hexdigest()
    monkeypatch.setitem(data.FILES, "mnist", RemoteFile("mnist.npz", "http://127.0.0.1:9/m", digest))
    monkeypatch.setenv("DLARCH_DATA_MIRROR", str(mirror))
    mnist = data.load_mnist()
    assert mnist.source == "mirror" and mnist.x_train.shape == (6, 28, 28, 1)
    np.testing.assert_allclose(mnist.x_train[..., 0] * 255, arrays["x_train"], atol=1e-3)
    assert "MNIST: mirror" in capsys.readouterr().out


def test_digits_and_take():
    digits = data.load_digits()
    assert digits.x_train.shape[1:] == (8, 8, 1) and len(digits.x_train) + len(digits.x_test) == 1797
    small = digits.take(10, 5)
    assert len(small.x_train) == 10 and len(small.y_test) == 5
    with pytest.raises(ValueError, match="n_train"):
        digits.take(0)


FASHION_KEYS = data.images.FASHION_KEYS
SYSTEM_FASHION = Path(data.FILES["fashion_mnist_train_images"].system.path).parent


def _idx_gz(path, array, magic):
    """Write ``array`` (uint8) as a gzip IDX file, the layout of the published files."""
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())
    return hashlib.sha256(header + array.astype(np.uint8).tobytes()).hexdigest()


@pytest.fixture
def system_fashion(tmp_path, monkeypatch):
    """A tiny fake of the Debian package's four files, registered as the system copies."""
    folder = tmp_path / "usr-share-fashion"
    folder.mkdir()
    rng = np.random.default_rng(0)
    arrays = {"train_images": (rng.integers(0, 256, (6, 28, 28)), 2051),
              "train_labels": (np.arange(6) % 10, 2049),
              "test_images": (rng.integers(0, 256, (4, 28, 28)), 2051),
              "test_labels": (np.arange(4), 2049)}
    for key in FASHION_KEYS:
        entry = data.FILES[key]
        array, magic = arrays[key.removeprefix("fashion_mnist_")]
        digest = _idx_gz(folder / entry.filename, array, magic)
        system = replace(entry.system, path=str(folder / entry.filename), payload_sha256=digest)
        monkeypatch.setitem(data.FILES, key, replace(entry, system=system))
    return folder, arrays


def _no_system_fashion(monkeypatch, tmp_path):
    for key in FASHION_KEYS:
        entry = data.FILES[key]
        system = replace(entry.system, path=str(tmp_path / "not-installed" / entry.filename))
        monkeypatch.setitem(data.FILES, key, replace(entry, system=system))


def test_fashion_from_the_system_package_is_verified_and_named(system_fashion, capsys):
    folder, arrays = system_fashion
    fashion = data.load_fashion_mnist()
    assert fashion.source == "system" and fashion.x_train.shape == (6, 28, 28, 1)
    np.testing.assert_allclose(fashion.x_test[..., 0] * 255, arrays["test_images"][0], atol=1e-3)
    np.testing.assert_array_equal(fashion.y_train, arrays["train_labels"][0])
    out = capsys.readouterr().out
    assert "Fashion-MNIST: system (package dataset-fashion-mnist" in out and str(folder) in out


def test_a_recompressed_system_copy_passes_a_bad_payload_fails(system_fashion):
    folder, _ = system_fashion
    path = folder / "t10k-labels-idx1-ubyte.gz"
    payload = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(payload, compresslevel=1))  # new bytes, same payload
    assert data.load_fashion_mnist().source == "system"
    path.write_bytes(gzip.compress(payload[:-1] + b"\x07"))
    with pytest.raises(data.ChecksumError, match=r"t10k-labels.*dataset-fashion-mnist.*payload sha256"):
        data.load_fashion_mnist()


def test_fashion_mirror_comes_before_the_system_package(system_fashion, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for key in FASHION_KEYS:
        entry = data.FILES[key]
        copy = mirror / entry.filename
        copy.write_bytes((system_fashion[0] / entry.filename).read_bytes())
        monkeypatch.setitem(data.FILES, key, replace(entry, sha256=hashlib.sha256(copy.read_bytes()).hexdigest()))
    monkeypatch.setenv("DLARCH_DATA_MIRROR", str(mirror))
    assert data.load_fashion_mnist().source == "mirror"


def test_fashion_unreachable_is_an_error_naming_three_ways(tmp_path, monkeypatch):
    _no_system_fashion(monkeypatch, tmp_path)
    with pytest.raises(data.DataUnavailable) as caught:
        data.load_fashion_mnist()
    message = str(caught.value)
    assert "apt-get install dataset-fashion-mnist" in message
    assert "DLARCH_DATA_MIRROR" in message and "train-images-idx3-ubyte.gz" in message
    assert "DLARCH_OFFLINE" in message


@pytest.mark.skipif(not SYSTEM_FASHION.is_dir(), reason="Debian package dataset-fashion-mnist not installed")
def test_fashion_from_the_installed_package_is_the_published_dataset():
    fashion = data.load_fashion_mnist()
    assert fashion.source == "system"
    assert fashion.x_train.shape == (60_000, 28, 28, 1) and fashion.x_test.shape == (10_000, 28, 28, 1)
    assert np.bincount(fashion.y_train).tolist() == [6000] * 10
    assert np.bincount(fashion.y_test).tolist() == [1000] * 10
    assert round(float(fashion.x_train.mean()) * 255, 2) == 72.94  # Xiao et al.'s published data


@pytest.mark.skipif(not (SHARED / "shakespeare.txt").exists(), reason="no shared mirror beside the repo")
def test_shakespeare_from_the_shared_mirror(monkeypatch):
    monkeypatch.setenv("DLARCH_DATA_MIRROR", str(SHARED))
    text = data.load_shakespeare()
    assert text.source == "mirror" and len(text.text) == 1_115_394
    assert text.text.startswith("First Citizen:")


def test_shakespeare_stand_in_is_synthetic_and_deterministic():
    text = data.load_shakespeare()
    assert text.source == "synthetic" and text.text == data.load_shakespeare().text


def test_cli_verify_and_download(tmp_path, monkeypatch, fake_file, served, capsys):
    folder, base = served
    (folder / "toy.txt").write_bytes(PAYLOAD)
    monkeypatch.setenv("DLARCH_OFFLINE", "0")
    monkeypatch.setitem(data.FILES, "toy", RemoteFile("toy.txt", base + "toy.txt", fake_file.sha256))
    assert cli(["download", "toy", "--to", str(tmp_path / "m")]) == 0
    assert (tmp_path / "m" / "toy.txt").read_bytes() == PAYLOAD
    monkeypatch.setenv("DLARCH_DATA_MIRROR", str(tmp_path / "m"))
    assert cli(["verify", "toy"]) == 0
    (tmp_path / "m" / "toy.txt").write_bytes(b"bad")
    assert cli(["verify", "toy"]) == 1
    assert "BAD" in capsys.readouterr().out


def test_date_task_is_deterministic_and_consistent():
    task = data.make_date_task(200, seed=1)
    again = data.make_date_task(200, seed=1)
    assert task.pairs == again.pairs
    for (human, iso), row in zip(task.pairs, task.y_out):
        assert task.target_vocab.decode(row) == iso
        assert len(iso) == 10 and iso[4] == "-"
    assert task.source_vocab.decode(task.x[0]) == task.pairs[0][0]
    assert (task.y_in[:, 0] == task.target_vocab.start_id).all()


def test_vocab_errors():
    vocab = data.CharVocab("abc")
    with pytest.raises(ValueError, match="not in the vocabulary"):
        vocab.encode(["abz"], 5)
    with pytest.raises(ValueError, match="length is 2"):
        vocab.encode(["abc"], 2)


def test_imdb_is_read_from_the_mirror(tmp_path, monkeypatch):
    # The real file stores ragged word-id lists as object arrays; mimic that shape.
    reviews = np.empty(4, dtype=object)
    reviews[:] = [[1, 14, 22, 16], [1, 194, 1153], [1, 14, 47, 8, 30], [1, 785, 189]]
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    np.savez(mirror / "imdb.npz", x_train=reviews, y_train=np.array([1, 0, 1, 0]),
             x_test=reviews[:2], y_test=np.array([1, 0]))
    digest = hashlib.sha256((mirror / "imdb.npz").read_bytes()).hexdigest()
    monkeypatch.setitem(data.FILES, "imdb", RemoteFile("imdb.npz", "http://127.0.0.1:9/i", digest))
    monkeypatch.setenv("DLARCH_DATA_MIRROR", str(mirror))
    imdb = data.load_imdb(num_words=1000, maxlen=20)
    assert imdb.source == "mirror" and imdb.x_train.shape == (4, 20) and imdb.x_test.shape == (2, 20)


def test_imdb_offline_stand_in_is_labelled():
    imdb = data.load_imdb(num_words=1000, maxlen=20, n_synthetic=50)
    assert imdb.source == "synthetic" and "stand-in" in imdb.note


def test_cli_download_replaces_a_bad_copy(tmp_path, monkeypatch, fake_file, served, capsys):
    folder, base = served
    (folder / "toy.txt").write_bytes(PAYLOAD)
    monkeypatch.setenv("DLARCH_OFFLINE", "0")
    monkeypatch.setitem(data.FILES, "toy", RemoteFile("toy.txt", base + "toy.txt", fake_file.sha256))
    target = tmp_path / "m" / "toy.txt"
    target.parent.mkdir()
    target.write_bytes(b"half-written")
    assert cli(["download", "toy", "--to", str(target.parent)]) == 0
    assert target.read_bytes() == PAYLOAD
    out = capsys.readouterr().out
    assert "BAD" in out and f"deleted   {target}" in out and "fetched" in out
    assert cli(["download", "toy", "--to", str(target.parent)]) == 0
    assert "already there" in capsys.readouterr().out


def test_data_readme_lists_every_registered_file():
    readme = (Path(__file__).resolve().parents[1] / "data" / "README.md").read_text(encoding="utf-8")
    missing = [key for key, entry in data.FILES.items()
               if entry.filename not in readme or entry.sha256 not in readme]
    assert not missing, f"data/README.md does not list (file name and sha256): {missing}"


def _label_ordered_imdb(path, n_train=40, n_test=30, seed=0):
    """A small imdb.npz in the real file's layout (ragged word-id lists, object arrays),
    stored in label order: every negative review first, then every positive one."""
    rng = np.random.default_rng(seed)

    def reviews(n):
        out = np.empty(n, dtype=object)
        out[:] = [rng.integers(1, 60, size=rng.integers(3, 12)).tolist() for _ in range(n)]
        return out

    np.savez(path, x_train=reviews(n_train), y_train=np.repeat([0, 1], n_train // 2),
             x_test=reviews(n_test), y_test=np.repeat([0, 1], n_test // 2))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_imdb_order_and_encoding_equal_keras_on_a_label_ordered_file(tmp_path, monkeypatch):
    import keras
    keras_imdb = importlib.import_module("keras.src.datasets.imdb")

    mirror = tmp_path / "mirror"
    mirror.mkdir()
    digest = _label_ordered_imdb(mirror / "imdb.npz")
    monkeypatch.setitem(data.FILES, "imdb", RemoteFile("imdb.npz", "http://127.0.0.1:9/i", digest))
    monkeypatch.setenv("DLARCH_DATA_MIRROR", str(mirror))
    # keras.datasets.imdb reads only through get_file; hand it the same fake file.
    monkeypatch.setattr(keras_imdb, "get_file", lambda *a, **k: str(mirror / "imdb.npz"))

    ours = data.load_imdb(num_words=100, maxlen=20)  # 100 keeps every id of the fake file
    (kx_train, ky_train), (kx_test, ky_test) = keras.datasets.imdb.load_data(num_words=100)
    assert ours.source == "mirror"
    for x, y, k_x, k_y in [(ours.x_train, ours.y_train, kx_train, ky_train),
                           (ours.x_test, ours.y_test, kx_test, ky_test)]:
        np.testing.assert_array_equal(y, k_y)
        assert 0 < y[: len(y) // 2].mean() < 1, "the first half is still one class"
        for row, review in zip(x, k_x):  # same reviews, same order, same ids (last 20 kept)
            assert row[row != 0].tolist() == list(review)[-20:]
    # The out-of-vocabulary rule too: with num_words=40, ids ≥ 40 become 2 as in Keras.
    (kx_train, _), (kx_test, _) = keras.datasets.imdb.load_data(num_words=40)
    (x_train, _), (x_test, _) = data.imdb._read_keras_imdb(mirror / "imdb.npz", 40)
    assert x_train == [list(r) for r in kx_train] and x_test == [list(r) for r in kx_test]


def test_load_imdb_names_the_bad_argument():
    with pytest.raises(ValueError, match=r"n_synthetic must be an integer ≥ 1, got -5"):
        data.load_imdb(n_synthetic=-5)
    with pytest.raises(ValueError, match=r"maxlen must be an integer ≥ 20, got 5"):
        data.load_imdb(maxlen=5)
    assert data.load_imdb(num_words=np.int64(1000), maxlen=np.int64(20), n_synthetic=np.int64(10)).x_train.shape == (10, 20)


# --- Faults: each is a clear message, and nothing is lost or half-written --------------------

def _refuse(monkeypatch, method, under, error):
    """Make ``Path.<method>`` raise ``error`` for paths under ``under`` (root ignores chmod)."""
    original = getattr(Path, method)

    def refuse(self, *args, **kwargs):
        if str(self).startswith(str(under)):
            raise error
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, method, refuse)


def test_bad_copy_in_a_read_only_cache_is_reported_and_the_mirror_used(tmp_path, monkeypatch,
                                                                       fake_file, capsys):
    cache = data.cache_dir()
    cache.mkdir(parents=True)
    (cache / "toy.txt").write_bytes(b"half-written")
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "toy.txt").write_bytes(PAYLOAD)
    monkeypatch.setenv("DLARCH_DATA_MIRROR", str(mirror))
    _refuse(monkeypatch, "unlink", cache, PermissionError(13, "Permission denied"))
    got = data.fetch("toy")
    assert got.source == "mirror"
    out = capsys.readouterr().out
    assert "checksum mismatch" in out and "could not delete it (Permission denied)" in out


def test_an_unwritable_cache_is_a_local_error_not_a_fallback(monkeypatch, fake_file, served):
    folder, base = served
    (folder / "toy.txt").write_bytes(PAYLOAD)
    monkeypatch.setenv("DLARCH_OFFLINE", "0")
    monkeypatch.setitem(data.FILES, "toy", RemoteFile("toy.txt", base + "toy.txt", fake_file.sha256))
    _refuse(monkeypatch, "mkdir", data.cache_dir(), PermissionError(13, "Permission denied"))
    with pytest.raises(data.DataIOError, match=r"could not create .*datasets/\.partial: "
                                              r"Permission denied.*not the network"):
        data.fetch("toy")


def test_a_full_disk_during_download_is_a_local_error_and_leaves_nothing(monkeypatch, fake_file,
                                                                         served):
    import pooch

    folder, base = served
    (folder / "toy.txt").write_bytes(PAYLOAD)
    monkeypatch.setenv("DLARCH_OFFLINE", "0")
    monkeypatch.setitem(data.FILES, "toy", RemoteFile("toy.txt", base + "toy.txt", fake_file.sha256))

    def full_disk(self, url, output_file, pooch_instance, check_only=False):
        Path(output_file).write_bytes(PAYLOAD[:10])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", full_disk)
    with pytest.raises(data.DataIOError, match=r"could not write toy\.txt into .*No space left"):
        data.fetch("toy")
    cache = data.cache_dir()
    assert list(cache.iterdir()) == [], "a failed download left files behind"


KILLED_DOWNLOAD = """
import os, signal, sys
from pathlib import Path
import pooch
import dlarch.data as data
from dlarch.data.registry import RemoteFile

def killed(self, url, output_file, pooch_instance, check_only=False):
    Path(output_file).write_bytes(b"the first bytes")
    os.kill(os.getpid(), signal.SIGKILL)   # kill -9 in the middle of the download

pooch.HTTPDownloader.__call__ = killed
data.FILES["toy"] = RemoteFile("toy.txt", "http://127.0.0.1:9/toy.txt", sys.argv[1])
data.fetch("toy")
"""


def test_a_killed_download_leaves_only_a_listed_and_cleaned_leftover(tmp_path, monkeypatch,
                                                                     fake_file, served, capsys):
    import os
    import signal
    import subprocess
    import sys

    env = {**os.environ, "DLARCH_OFFLINE": "0"}
    child = subprocess.run([sys.executable, "-c", KILLED_DOWNLOAD, fake_file.sha256], env=env,
                           capture_output=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    cache = data.cache_dir()
    assert not (cache / "toy.txt").exists()
    left = fetch_mod.leftovers(cache)
    assert len(left) == 1 and left[0].read_bytes() == b"the first bytes"
    assert cli(["verify", "toy"]) == 1
    assert f"LEFTOVER  {left[0]}" in capsys.readouterr().out
    folder, base = served
    (folder / "toy.txt").write_bytes(PAYLOAD)
    monkeypatch.setenv("DLARCH_OFFLINE", "0")
    monkeypatch.setitem(data.FILES, "toy", RemoteFile("toy.txt", base + "toy.txt", fake_file.sha256))
    assert cli(["download", "toy"]) == 0
    assert f"deleted   {left[0]} (an unfinished download)" in capsys.readouterr().out
    assert sorted(p.name for p in cache.iterdir()) == ["toy.txt"]
    monkeypatch.setenv("DLARCH_OFFLINE", "1")
    assert cli(["verify", "toy"]) == 0


@pytest.mark.parametrize("argv, message", [
    (["download", "toy"], "DLARCH_OFFLINE=1 forbids the network"),
    (["download", "toy", "--to", ""], "--to needs a folder name"),
    (["download", "toy", "--to", "{file}"], "is a file, not a folder"),
])
def test_cli_answers_clearly(argv, message, tmp_path, fake_file, capsys):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    with pytest.raises(SystemExit) as caught:
        cli([arg.format(file=a_file) for arg in argv])
    assert caught.value.code == 2 and message in capsys.readouterr().err
