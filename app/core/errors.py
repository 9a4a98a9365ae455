"""Domain errors carry a translated, user-facing message; UI, API, CLI and import show it as is."""


class DomainError(ValueError):
    """A rule of the domain was broken; nothing was changed."""

    def __init__(self, message, field=None):
        super().__init__(str(message))
        self.message = message
        self.field = field

    def __str__(self):
        return str(self.message)


class ScopeError(LookupError):
    """A record lies outside the current user's partners: answered as 'not found', never 403."""
