"""`make compat`: FastAPI 0.163.2's own test suite, run on minifast."""
