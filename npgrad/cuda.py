"""`npgrad.cuda` answers teaching code's device checks: there is no GPU here."""


def is_available():
    return False


def device_count():
    return 0


def manual_seed(seed):
    """Nothing to seed without a GPU (npgrad.manual_seed seeds everything npgrad draws)."""


manual_seed_all = manual_seed
