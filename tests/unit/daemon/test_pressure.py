"""Node pressure: --eviction-hard parsed as the kubelet parses it, and thresholds
crossed by quantity or by percent of the signal's capacity."""
from __future__ import annotations

import pytest

from minikctl.daemon import pressure
from minikctl.daemon.node import conditions
from minikctl.daemon.pressure import Threshold


def test_the_kubelet_defaults_parse():
    assert pressure.parse(pressure.DEFAULT_EVICTION_HARD) == (
        Threshold("memory.available", quantity=100 * 1024 ** 2), Threshold("nodefs.available", percent=10.0),
        Threshold("nodefs.inodesFree", percent=5.0), Threshold("imagefs.available", percent=15.0))


@pytest.mark.parametrize("text,message", [
    ("memory.free<1Gi", "unsupported eviction signal memory.free"),
    ("memory.available>1Gi", "invalid eviction threshold syntax memory.available>1Gi, expected <signal><operator><value>"),
    ("nodefs.available<120%", "eviction percentage threshold nodefs.available must be >= 0% and <= 100%: 120%"),
    ("memory.available<lots", "invalid quantity lots for eviction signal memory.available"),
    ("pid.available<10,pid.available<20", "found duplicate eviction threshold for signal pid.available"),
])
def test_bad_thresholds_say_what_is_wrong(text, message):
    with pytest.raises(ValueError) as exc:
        pressure.parse(text)
    assert str(exc.value) == message


def test_pressure_by_quantity_and_by_percent():
    thresholds = pressure.parse("memory.available<1Gi,nodefs.available<10%,pid.available<1000")
    measured = {"memory.available": (2 << 30, 8 << 30), "nodefs.available": (9, 100), "pid.available": (5000, 32768)}
    assert pressure.under_pressure(thresholds, measured) == {"DiskPressure"}
    measured["memory.available"] = (512 << 20, 8 << 30)
    measured["pid.available"] = (999, 32768)
    assert pressure.under_pressure(thresholds, measured) == {"DiskPressure", "MemoryPressure", "PIDPressure"}
    assert pressure.under_pressure(thresholds, {}) == set()  # nothing measured: no pressure


def test_this_machine_reports_every_signal():
    measured = pressure.measure("/")
    assert set(measured) >= {"memory.available", "nodefs.available", "imagefs.available", "pid.available"}
    assert all(0 <= available <= capacity for available, capacity in measured.values())


def test_conditions_read_as_the_kubelets():
    out = {c["type"]: (c["status"], c["reason"]) for c in conditions(pressures={"DiskPressure"})}
    assert out == {"MemoryPressure": ("False", "KubeletHasSufficientMemory"),
                   "DiskPressure": ("True", "KubeletHasDiskPressure"),
                   "PIDPressure": ("False", "KubeletHasSufficientPID"), "Ready": ("True", "KubeletReady")}
