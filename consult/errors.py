"""Errors the domain reports to callers; ``code`` is stable and documented in docs/protocol.md."""


class DomainError(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code
        self.detail = detail or code
