"""A stand-in for LeoFlow's task runtime, for the agent's tests: same command line, same env."""
