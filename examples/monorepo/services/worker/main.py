"""The monorepo's Python worker."""
import six

print("hello from worker" + six.ensure_str(" (six %s)" % six.__version__))
