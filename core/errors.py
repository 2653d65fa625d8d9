"""The error every action raises for bad input or an illegal transition.

Pages show `message` next to `field` (or above the form); the API answers
{"error": {"code": ..., "message": ..., "field": ...}} with `status`.
"""


class ActionError(Exception):
    status = 400

    def __init__(
        self,
        code: str,
        message: str,
        *,
        field: str | None = None,
        status: int = 400,
        retry_after: int | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.status = status
        # Seconds until trying again can succeed (a 429's Retry-After header).
        self.retry_after = retry_after

    def as_dict(self) -> dict[str, str]:
        error = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        return error


class FieldErrors(ActionError):
    """Several fields wrong at once (a form): each field with its own Chinese message."""

    def __init__(self, errors: dict[str, str]):
        first_field, first_message = next(iter(errors.items()))
        super().__init__("invalid", first_message, field=first_field)
        self.errors = errors

    def as_dict(self) -> dict[str, str]:
        error = super().as_dict()
        error["fields"] = self.errors  # type: ignore[assignment]
        return error
