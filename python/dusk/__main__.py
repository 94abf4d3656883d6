"""`python -m dusk …` runs the installed `dusk` executable with the same arguments."""

import os
import subprocess
import sys

from dusk import find_dusk_bin


def main() -> None:
    try:
        dusk = find_dusk_bin()
    except FileNotFoundError as e:
        print(f"python -m dusk: {e}", file=sys.stderr)
        sys.exit(2)
    if sys.platform == "win32":
        sys.exit(subprocess.call([dusk, *sys.argv[1:]]))
    os.execv(dusk, [dusk, *sys.argv[1:]])


if __name__ == "__main__":
    main()
