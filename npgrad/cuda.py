"""`npgrad.cuda` answers teaching code's device checks: there is no GPU here."""


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Nothing to seed without a GPU (npgrad.manual_seed seeds everything npgrad draws)."""


manual_seed_all = manual_seed
