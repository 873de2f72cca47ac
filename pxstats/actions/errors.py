"""The one error type of a request an operator got wrong: its text is the one line shown."""


class RequestError(ValueError):
    """A request that cannot be carried out as given (bad option value, unknown name)."""
