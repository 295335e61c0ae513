from __future__ import annotations

import pytest

from tests.unit.runtime.helpers import harness_fixture


@pytest.fixture
def rt(minikctl_home):
    yield from harness_fixture(minikctl_home)
