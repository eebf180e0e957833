"""greet: says hello with a little help from PyPI."""
