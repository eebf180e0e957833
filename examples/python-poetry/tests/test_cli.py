from stamp.cli import span


def test_span():
    assert span("2020-01-15", "2025-03-20") == "5 years, 2 months"
