import sys

import humanize
from tabulate import tabulate


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "world"
    rows = [
        ["greeting", f"hello, {name}"],
        ["size", humanize.naturalsize(123456789)],
    ]
    print(tabulate(rows, headers=["what", "value"]))


if __name__ == "__main__":
    main()
