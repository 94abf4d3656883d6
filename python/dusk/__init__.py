"""dusk is a command-line program; this package only lets `python -m dusk` run it.

The wheel installs the `dusk` executable into the environment's scripts directory;
`find_dusk_bin()` returns its path.
"""

import os
import sys
import sysconfig

__all__ = ["find_dusk_bin"]


def find_dusk_bin() -> str:
    """The path of the `dusk` executable this package was installed with."""
    exe = "dusk" + (sysconfig.get_config_var("EXE") or "")
    candidates = [sysconfig.get_path("scripts")]
    # `pip install --user`: the user scheme's scripts directory.
    user_scheme = {"nt": "nt_user", "posix": "posix_user"}.get(os.name)
    if user_scheme and sys.version_info >= (3, 10):
        user_scheme = sysconfig.get_preferred_scheme("user")
    if user_scheme:
        candidates.append(sysconfig.get_path("scripts", scheme=user_scheme))
    for directory in candidates:
        path = os.path.join(directory, exe)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(f"no `{exe}` in {', '.join(candidates)}")
