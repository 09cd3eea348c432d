"""A dummy task process for the agent's tests, driven by verbs on its command line.

    python3 child.py VERB ARG [VERB ARG ...]

    out TEXT      TEXT and a newline on stdout
    err TEXT      TEXT and a newline on stderr
    raw HEX       the bytes HEX on stdout, one write
    trickle HEX   the bytes HEX on stdout, one write(2) per byte
    xs N          N bytes "x", no newline
    long N        a line of N bytes of "aé€😀" repeated (cut at a character) and a newline
    exit CODE     exit with CODE

Writes go straight to the file descriptors (os.write), so nothing is buffered in Python.
"""
import os
import sys

PATTERN = "aé€😀".encode("utf-8")


def long_line(n):
    data = (PATTERN * (n // len(PATTERN) + 1))[:n]
    return data.decode("utf-8", errors="ignore").encode("utf-8")


def write_all(data):
    view = memoryview(data)
    while view:
        view = view[os.write(1, view):]


def main(argv):
    if len(argv) % 2:
        print("usage: child.py VERB ARG [VERB ARG ...]", file=sys.stderr)
        return 2
    for verb, arg in zip(argv[0::2], argv[1::2]):
        if verb == "out":
            os.write(1, arg.encode("utf-8") + b"\n")
        elif verb == "err":
            os.write(2, arg.encode("utf-8") + b"\n")
        elif verb == "raw":
            os.write(1, bytes.fromhex(arg))
        elif verb == "trickle":
            for b in bytes.fromhex(arg):
                os.write(1, bytes([b]))
        elif verb == "xs":
            write_all(b"x" * int(arg))
        elif verb == "long":
            write_all(long_line(int(arg)) + b"\n")
        elif verb == "exit":
            return int(arg)
        else:
            print(f"unknown verb {verb}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
