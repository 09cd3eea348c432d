"""python -m leoflow_runtime module:callable

Imports the callable, passes it the XCom inputs the agent injected (LEOFLOW_XCOM_<NAME>, JSON)
as keyword arguments, plus the literal call args (LEOFLOW_CALL_ARGS_JSON), and writes a
non-None return value as JSON to LEOFLOW_RETURN_VALUE_PATH, as the real runtime does.
"""
import importlib
import inspect
import json
import os
import sys


def main(argv):
    if len(argv) != 1 or ":" not in argv[0]:
        print("usage: python -m leoflow_runtime module:callable", file=sys.stderr)
        return 2
    module_name, _, attr = argv[0].partition(":")
    func = getattr(importlib.import_module(module_name), attr)
    kwargs = json.loads(os.environ.get("LEOFLOW_CALL_ARGS_JSON") or "{}")
    for name in inspect.signature(func).parameters:
        raw = os.environ.get("LEOFLOW_XCOM_" + name.upper())
        if raw is not None:
            kwargs[name] = json.loads(raw)
    result = func(**kwargs)
    if result is not None:
        with open(os.environ["LEOFLOW_RETURN_VALUE_PATH"], "w", encoding="utf-8") as f:
            json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
