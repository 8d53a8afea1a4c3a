"""`npgrad.accelerator`: no accelerator, only the CPU."""


def is_available() -> bool:
    return False


def current_accelerator() -> None:
    return None
