"""python3 -m reports SECTION WORKDIR [OUT.md]: see the package's docstring."""
import argparse
import importlib

import reports

SECTIONS = ("full", "tls", "chat", "accept", "unpinned", "ws", "syscalls")


def main():
    parser = argparse.ArgumentParser(
        prog="python3 -m reports", description=reports.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("section", choices=SECTIONS)
    parser.add_argument("workdir", help="the run's directory, with results.tsv and the rest")
    parser.add_argument("out", nargs="?", default="docs/benchmarks.md",
                        help="the file to write (default: docs/benchmarks.md)")
    args = parser.parse_args()
    module = importlib.import_module(f"reports.{args.section}")
    module.main(args.workdir, args.out)


if __name__ == "__main__":
    main()
