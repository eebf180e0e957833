"""Prints how far apart two dates are, as a table: enough to prove the dependencies import."""

import sys

from dateutil.relativedelta import relativedelta
from dateutil.parser import isoparse
from tabulate import tabulate


def span(start: str, end: str) -> str:
    delta = relativedelta(isoparse(end), isoparse(start))
    return f"{delta.years} years, {delta.months} months"


def main() -> None:
    start, end = (sys.argv[1:3] + ["2020-01-15", "2025-03-20"][len(sys.argv[1:3]):])[:2]
    print(tabulate([["from", start], ["to", end], ["span", span(start, end)]], tablefmt="plain"))


if __name__ == "__main__":
    main()
