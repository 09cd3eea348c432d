"""Task callables the tests and the demo run through the stand-in runtime."""
import os
import sys


def add(numbers=None, offset=0):
    total = sum(numbers or []) + offset
    print(f"adding {numbers} with offset {offset}")
    print("stderr works too", file=sys.stderr)
    return {"total": total}


def nothing():
    print("no return value")


def fail():
    raise RuntimeError("task code raised")


def show_env():
    for key in sorted(os.environ):
        if key.startswith(("LEOFLOW_", "AIRFLOW_")):
            print(f"{key}={os.environ[key]}")


def big_return():
    # Over the dev control plane's 256 KiB XCom limit once serialized.
    return "x" * (300 * 1024)


def echo_inputs(first=None, second=None, label=""):
    print(f"{label}: first={first!r} second={second!r}")
    return [first, second]


def unbuffered():
    print(f"PYTHONUNBUFFERED={os.environ.get('PYTHONUNBUFFERED')}")
