"""Run every benchmark in bench/ (files named bench_*.py), each in its own process."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main():
    failed = 0
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n=== {script.stem} ===", flush=True)
        failed += subprocess.call([sys.executable, str(script), *sys.argv[1:]]) != 0
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
