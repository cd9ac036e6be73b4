# The same in ar, ckb and en: see config/formats/shared.py.
from config.formats.shared import *  # noqa: F403
