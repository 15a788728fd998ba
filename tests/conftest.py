"""Shared test set-up."""

import pytest

# Assertions in the shared helpers explain themselves like those in test modules.
pytest.register_assert_rewrite("tests.support")
