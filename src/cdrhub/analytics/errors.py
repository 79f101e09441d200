"""Errors a report raises for parameters it cannot use (served as HTTP 422, exit code 2)."""


class ReportError(ValueError):
    """A report parameter has a value the report cannot use."""
