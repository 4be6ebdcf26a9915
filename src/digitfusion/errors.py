"""User-facing errors: one line naming the thing and the problem, exit code 2."""

EXIT_USER_ERROR = 2


class DigitfusionError(Exception):
    """A problem with the user's input or environment, reported as one line (no traceback)."""

    def __init__(self, subject: object, problem: str):
        self.subject = str(subject)
        self.problem = problem
        super().__init__(f"{self.subject}: {problem}")
