"""`npgrad.accelerator`: no accelerator, only the CPU."""


def is_available():
    return False


def current_accelerator():
    return None
