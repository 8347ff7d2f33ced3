"""Error types whose messages are written for people.

Every message says what was expected and what was found. The CLI prints the message on one line
and exits with status 2; pages show it with st.error. Nothing here ever carries a traceback to
the user.
"""


class GnnrecError(Exception):
    """Base for every error the core raises on purpose."""


class InputError(GnnrecError, ValueError):
    """The data given (a file, a column, an ID) is not what the core can use."""


class ConfigError(GnnrecError, ValueError):
    """A setting is out of range or names something that does not exist."""


class NotFittedError(GnnrecError, RuntimeError):
    """A model was used before fit() or load()."""
