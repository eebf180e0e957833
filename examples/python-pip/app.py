"""Prints how long ago a fixed date was, using python-dateutil from PyPI."""

from datetime import datetime, timezone

from dateutil.relativedelta import relativedelta


def main() -> None:
    then = datetime(2020, 1, 1, tzinfo=timezone.utc)
    delta = relativedelta(datetime(2025, 3, 15, tzinfo=timezone.utc), then)
    print(f"hello from python-pip: {delta.years} years, {delta.months} months")


if __name__ == "__main__":
    main()
