"""The kubectl-shaped command line: one module per verb, printers in printers/.

Every verb module imports only typer and the standard library at import time; the
heavy parts (SQLAlchemy, jsonschema, rich) load inside the commands that need them, so
`minikctl --help` and `minikctl version` start in well under 150 ms.
"""
