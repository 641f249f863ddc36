"""``python -m dlarch.data download|verify [--to FOLDER] [NAME ...]``.

``download`` fills the cache (or ``--to`` a folder that can serve as a
mirror for machines with no internet); a copy already there whose sha256 is
wrong is deleted and downloaded again. ``verify`` checks the sha256 of every
file found in the cache and the mirror.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .fetch import ChecksumError, cache_dir, download, mirror_dir, registered, verify
from .registry import FILES


def _download(keys, folder):
    failed = 0
    for key in keys:
        entry = registered(key)
        target = Path(folder or cache_dir()) / entry.filename
        try:
            if target.exists():
                try:
                    verify(target, entry)
                    print(f"ok        {target} (already there)")
                    continue
                except ChecksumError as err:
                    print(f"BAD       {err}")
                    target.unlink()  # a bad copy is replaced, never kept
                    print(f"deleted   {target}; downloading it again")
            mirror = mirror_dir()
            if mirror is not None and (mirror / entry.filename).exists():
                print(f"note      {entry.filename} is also in the mirror {mirror}")
            print(f"fetched   {download(entry, folder)}")
        except Exception as err:
            failed += 1
            print(f"FAILED    {entry.filename}: {err}")
    return failed


def _verify(keys):
    failed = found = 0
    folders = [cache_dir()] + ([mirror_dir()] if mirror_dir() else [])
    for key in keys:
        entry = registered(key)
        for folder in folders:
            path = folder / entry.filename
            if not path.exists():
                continue
            found += 1
            try:
                verify(path, entry)
                print(f"ok        {path}")
            except ChecksumError as err:
                failed += 1
                print(f"BAD       {err}")
    print(f"{found} file(s) checked, {failed} bad, in {', '.join(map(str, folders))}")
    return failed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dlarch.data", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("download", "verify"))
    parser.add_argument("names", nargs="*", help=f"registry keys (default: all): {', '.join(FILES)}")
    parser.add_argument("--to", help="folder to download into (default: the cache)")
    args = parser.parse_args(argv)
    keys = args.names or list(FILES)
    for key in keys:
        if key not in FILES:
            parser.error(f"unknown file {key!r}; registered files are: {', '.join(FILES)}")
    failed = _download(keys, args.to) if args.command == "download" else _verify(keys)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
