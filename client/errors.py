"""The one error of the stdlib client: a message a person can act on, and its kind."""


class ClientError(Exception):
    """A talkrig server request failed; ``str(err)`` is a message a person can act on.

    kind : "down" (nothing answers), "timeout", "auth" (token missing or wrong), "not_talkrig"
        (another program answers), "busy" (queue full; see retry_after), "not_found",
        "rejected" (bad input: 413/415/422), "conflict" (no result yet / job failed), "server".
    status : the HTTP status, when there was one.
    """

    def __init__(self, message, kind="server", status=None, retry_after=None):
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retry_after = retry_after
