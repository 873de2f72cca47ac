"""The error of the pickle stores (new and legacy formats)."""


class PickleError(Exception):
    """A pickle that is missing, unreadable, truncated or not one of ours."""
