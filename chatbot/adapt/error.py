"""The one error every adapt step raises for a reason an admin can act on (the CLI prints it, no trace)."""


class AdaptError(RuntimeError):
    pass
