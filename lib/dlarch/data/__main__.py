"""``python -m dlarch.data download|verify [--to FOLDER] [NAME ...]``.

``download`` fills the cache (or ``--to`` a folder that can serve as a
mirror for machines with no internet); a copy already there whose sha256 is
wrong is deleted and downloaded again, and unfinished downloads left by a
killed run are deleted first. It refuses to run under ``DLARCH_OFFLINE=1``.
``verify`` checks the sha256 of every file found in the cache and the mirror
and lists unfinished downloads; its exit status is 1 if anything is wrong.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config import OFFLINE_ENV, offline
from .fetch import (ChecksumError, cache_dir, clean_leftovers, download, io_error, leftovers,
                    mirror_dir, registered, verify)
from .registry import FILES


def _download(keys, folder):
    failed = 0
    folder = Path(folder) if folder is not None else cache_dir()
    try:
        for path in clean_leftovers(folder):
            print(f"deleted   {path} (an unfinished download)")
    except OSError as err:
        print(f"FAILED    {err}")
        failed += 1
    for key in keys:
        entry = registered(key)
        target = folder / entry.filename
        try:
            if target.exists():
                try:
                    verify(target, entry)
                    print(f"ok        {target} (already there)")
                    continue
                except ChecksumError as err:
                    print(f"BAD       {err}")
                    try:
                        target.unlink()  # a bad copy is replaced, never kept
                    except OSError as why:
                        raise io_error("delete the bad copy", target, why) from None
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
    mirror = mirror_dir()
    folders = [cache_dir()] + ([mirror] if mirror else [])
    for folder in folders:
        for path in leftovers(folder):
            failed += 1
            print(f"LEFTOVER  {path} (an unfinished download; `download` deletes it)")
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
            except (ChecksumError, OSError) as err:
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
    if args.to is not None:
        if args.command != "download":
            parser.error("--to is only for download; verify checks the cache and the mirror")
        if not args.to.strip():
            parser.error("--to needs a folder name; leave --to out to fill the cache")
        if Path(args.to).exists() and not Path(args.to).is_dir():
            parser.error(f"--to {args.to!r} is a file, not a folder")
    if args.command == "download" and offline():
        parser.error(f"{OFFLINE_ENV}=1 forbids the network, so nothing can be downloaded; "
                     f"unset {OFFLINE_ENV} to download")
    failed = _download(keys, args.to) if args.command == "download" else _verify(keys)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
